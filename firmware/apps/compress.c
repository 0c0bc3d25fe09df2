/* Compression job: implemented with the compression issue; until then the command is refused. */
#include "encvp_boot.h"
#include "firmware.h"

uint32_t app_compress(fw_system* sys) {
    sysctrl_puts(&sys->sys, "compress: not available in this firmware build\n");
    return JOB_ERR_BAD_COMMAND;
}
