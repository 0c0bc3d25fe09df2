#include "sysctrl_drv.h"

#include "encvp_regs.h"
#include "hal.h"

int sysctrl_init(sysctrl_dev* dev, uint32_t base) {
    dev->base = base;
    return hal_read32(base + SYSCTRL_ID) == SYSCTRL_ID_RESET ? 0 : -1;
}

uint64_t sysctrl_cycles(const sysctrl_dev* dev) {
    uint32_t lo = hal_read32(dev->base + SYSCTRL_CYCLE_LO); /* latches the high word */
    uint32_t hi = hal_read32(dev->base + SYSCTRL_CYCLE_HI);
    return ((uint64_t)hi << 32) | lo;
}

uint32_t sysctrl_clock_khz(const sysctrl_dev* dev) { return hal_read32(dev->base + SYSCTRL_CLOCK_KHZ); }

void sysctrl_putc(const sysctrl_dev* dev, char c) {
    hal_write32(dev->base + SYSCTRL_CONSOLE, (uint32_t)(unsigned char)c);
}

void sysctrl_puts(const sysctrl_dev* dev, const char* s) {
    while (*s) sysctrl_putc(dev, *s++);
}

void sysctrl_put_u32(const sysctrl_dev* dev, uint32_t v) {
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0) sysctrl_putc(dev, buf[--n]);
}

void sysctrl_put_hex(const sysctrl_dev* dev, uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    int i;
    sysctrl_puts(dev, "0x");
    for (i = 28; i >= 0; i -= 4) sysctrl_putc(dev, digits[(v >> i) & 0xFu]);
}

void sysctrl_timer_start(const sysctrl_dev* dev, uint32_t cycles, int irq) {
    hal_write32(dev->base + SYSCTRL_TIMER_CTRL, 0u);
    hal_write32(dev->base + SYSCTRL_TIMER_STATUS, SYSCTRL_TIMER_STATUS_EXPIRED_MASK);
    hal_write32(dev->base + SYSCTRL_TIMER_LOAD, cycles);
    hal_write32(dev->base + SYSCTRL_TIMER_CTRL,
                SYSCTRL_TIMER_CTRL_EN_MASK | (irq ? SYSCTRL_TIMER_CTRL_IRQ_EN_MASK : 0u));
}

void sysctrl_timer_ack(const sysctrl_dev* dev) {
    hal_write32(dev->base + SYSCTRL_TIMER_STATUS, SYSCTRL_TIMER_STATUS_EXPIRED_MASK);
}

void sysctrl_watchdog_start(const sysctrl_dev* dev, uint32_t cycles) {
    hal_write32(dev->base + SYSCTRL_WDT_LOAD, cycles);
    hal_write32(dev->base + SYSCTRL_WDT_CTRL, SYSCTRL_WDT_CTRL_EN_MASK);
}

void sysctrl_watchdog_kick(const sysctrl_dev* dev) { hal_write32(dev->base + SYSCTRL_WDT_KICK, 1u); }

void sysctrl_watchdog_stop(const sysctrl_dev* dev) { hal_write32(dev->base + SYSCTRL_WDT_CTRL, 0u); }

void sysctrl_exit(const sysctrl_dev* dev, uint32_t code) {
    hal_write32(dev->base + SYSCTRL_EXIT, code & SYSCTRL_EXIT_CODE_MASK);
    for (;;) hal_wait_for_interrupt(); /* not reached on the VP */
}
