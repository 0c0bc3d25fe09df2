/* System controller driver: cycle counter, console, timer, watchdog, exit. */
#ifndef ENCVP_SYSCTRL_DRV_H
#define ENCVP_SYSCTRL_DRV_H

#include <stdint.h>

typedef struct {
    uint32_t base;
} sysctrl_dev;

/* Returns 0 if the block at base identifies as the encvp system controller, -1 otherwise. */
int sysctrl_init(sysctrl_dev* dev, uint32_t base);
uint64_t sysctrl_cycles(const sysctrl_dev* dev);
uint32_t sysctrl_clock_khz(const sysctrl_dev* dev);
void sysctrl_putc(const sysctrl_dev* dev, char c);
void sysctrl_puts(const sysctrl_dev* dev, const char* s);
void sysctrl_put_u32(const sysctrl_dev* dev, uint32_t v);
void sysctrl_put_hex(const sysctrl_dev* dev, uint32_t v);
void sysctrl_timer_start(const sysctrl_dev* dev, uint32_t cycles, int irq);
void sysctrl_timer_ack(const sysctrl_dev* dev);
void sysctrl_watchdog_start(const sysctrl_dev* dev, uint32_t cycles);
void sysctrl_watchdog_kick(const sysctrl_dev* dev);
void sysctrl_watchdog_stop(const sysctrl_dev* dev);
/* Ends the simulation (on silicon: reports to the test harness). Does not return on the VP. */
void sysctrl_exit(const sysctrl_dev* dev, uint32_t code);

#endif
