package dev.trapdoor.devices.apic;

import dev.trapdoor.backend.InterruptController;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.clock.VirtualClock;
import dev.trapdoor.memory.MmioDevice;

import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * A local APIC in xAPIC mode (SDM Vol. 3A, chapter 11): the 4 KiB register page, the IRR/ISR/TMR
 * with priority by vector class (TPR, PPR), EOI (broadcast to the IO-APIC for level-triggered
 * vectors), the ICR for IPIs to itself, the LVT (timer, thermal, performance counters, LINT0,
 * LINT1, error) and the timer on virtual time. It is the vCPU's {@link InterruptController}: a
 * request in the IRR that outranks the processor priority is taken first, and an 8259's INTR
 * arrives through LINT0 in ExtINT mode (virtual-wire mode), its INTA cycle run by the 8259.
 *
 * <p>One processor: an IPI to another APIC, INIT, SIPI and SMI are counted and dropped. NMIs
 * (LINT1, ICR) are counted in {@link #nmiPending()} for the CPU side to take.
 *
 * <p>All state changes are synchronized; the CPU's poll {@link #hasInterrupt()} reads volatiles.
 * The lock is never held while calling into the 8259 or the IO-APIC, so either of them may call
 * in here while holding its own lock.
 */
public final class LocalApic implements InterruptController, MmioDevice, dev.trapdoor.snapshot.Stateful {
    public static final long DEFAULT_BASE = 0xfee00000L;
    public static final int IA32_APIC_BASE = 0x1b;
    public static final long BASE_BSP = 1 << 8, BASE_ENABLE = 1 << 11;
    /** Version 0x14 (an integrated xAPIC), six LVT entries (max LVT 5), no EOI-broadcast suppression. */
    public static final int VERSION = 0x00050014;
    /** The timer's input clock (before the divider): 1 GHz, one tick per virtual nanosecond. */
    public static final long TIMER_HZ = ApicTimer.BUS_HZ;

    // Register offsets (SDM Table 11-1).
    static final int ID = 0x20, VER = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, RRD = 0xc0, LDR = 0xd0,
            DFR = 0xe0, SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280, ICR_LOW = 0x300, ICR_HIGH = 0x310,
            LVT_TIMER = 0x320, LVT_THERMAL = 0x330, LVT_PERF = 0x340, LVT_LINT0 = 0x350, LVT_LINT1 = 0x360,
            LVT_ERROR = 0x370, TIMER_INITIAL = 0x380, TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3e0;

    // LVT and ICR fields (SDM Figures 11-8, 11-12).
    static final int MASKED = 1 << 16, PERIODIC = 1 << 17, LEVEL = 1 << 15, DELIVERY_STATUS = 1 << 12;
    static final int MODE_FIXED = 0, MODE_LOWEST = 1, MODE_SMI = 2, MODE_NMI = 4, MODE_INIT = 5, MODE_STARTUP = 6, MODE_EXTINT = 7;
    static final int SVR_ENABLE = 1 << 8;

    // ESR bits (SDM 11.5.3).
    static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5, ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6, ESR_ILLEGAL_REGISTER = 1 << 7;

    private static final int LVT_COUNT = 6;
    private static final int L_TIMER = 0, L_THERMAL = 1, L_PERF = 2, L_LINT0 = 3, L_LINT1 = 4, L_ERROR = 5;
    /** Writable bits of each LVT entry: the timer has no delivery mode, LINTs add polarity and trigger. */
    private static final int[] LVT_WRITABLE = {0x300ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff};

    /** Told when the guest moves or disables the register page (IA32_APIC_BASE). */
    public interface WindowMover {
        /** False refuses the move (the WRMSR gets #GP). newBase is -1 when the APIC is disabled. */
        boolean move(long oldBase, long newBase);
    }

    private final int initialId;
    private final ApicTimer timer;
    private final VectorSet irr = new VectorSet(), isr = new VectorSet(), tmr = new VectorSet();
    private final int[] lvt = new int[LVT_COUNT];

    private long baseMsr;
    private int id, tpr, ldr, dfr, svr, icrLow, icrHigh;
    private int esr, esrPending;
    private boolean lint0Level, lint1Level;

    private volatile boolean irrReady;
    private volatile boolean extIntRouted;
    private volatile int ioapicExtInt;
    private volatile InterruptController pic;
    private volatile IntConsumer eoiBroadcast = v -> { };
    private volatile WindowMover mover = (o, n) -> true;
    private long nmis, droppedIpis, acknowledges, spurious;
    private String lastDroppedIpi = "";

    private final IrqLine lint0 = level -> lintChanged(L_LINT0, level);
    private final IrqLine lint1 = level -> lintChanged(L_LINT1, level);

    /**
     * @param id the APIC ID (0 for the bootstrap processor)
     * @param clock the virtual clock the timer schedules on
     * @param now the current virtual time (may run ahead of clock.now() while the vCPU runs)
     * @param deadlineMoved told when the timer's next expiry changed from the vCPU's thread
     */
    public LocalApic(int id, VirtualClock clock, LongSupplier now, Runnable deadlineMoved) {
        this.initialId = id & 0xff;
        this.timer = new ApicTimer(clock, now, deadlineMoved, this::timerExpired);
        reset();
    }

    /** Power-up state (SDM 11.4.7.1): enabled in IA32_APIC_BASE, software-disabled, every LVT masked. */
    public synchronized void reset() {
        baseMsr = DEFAULT_BASE | BASE_BSP | BASE_ENABLE;
        resetRegisters();
    }

    private void resetRegisters() {
        id = initialId << 24;
        tpr = ldr = icrLow = icrHigh = esr = esrPending = 0;
        dfr = 0xffffffff;
        svr = 0xff;
        irr.clearAll();
        isr.clearAll();
        tmr.clearAll();
        java.util.Arrays.fill(lvt, MASKED);
        timer.reset();
        update();
    }

    /**
     * What a PC BIOS leaves for the operating system (SeaBIOS's setup): the APIC software-enabled
     * with LINT0 as ExtINT (the 8259 in virtual-wire mode) and LINT1 as NMI, both unmasked, so a
     * kernel that never touches the APIC still gets the 8259's interrupts.
     */
    public synchronized void virtualWireMode() {
        svr |= SVR_ENABLE;
        lvt[L_LINT0] = (MODE_EXTINT << 8);
        lvt[L_LINT1] = (MODE_NMI << 8);
        update();
    }

    // ---- wiring

    /** The 8259 pair whose INTR reaches LINT0 (and IO-APIC ExtINT pins); its INTA cycle gives the vector. */
    public void connectExtInt(InterruptController pic) {
        this.pic = pic;
    }

    /** Where EOIs of level-triggered vectors go (the IO-APIC clears remote IRR). */
    public void onEoiBroadcast(IntConsumer listener) {
        eoiBroadcast = listener;
    }

    public void onWindowMove(WindowMover m) {
        mover = m;
    }

    /** LINT0: the 8259's INTR output on a PC (the pin is also read directly in ExtINT mode). */
    public IrqLine lint0() { return lint0; }

    /** LINT1: NMI on a PC. */
    public IrqLine lint1() { return lint1; }

    // ---- IA32_APIC_BASE (SDM 11.4.4)

    public synchronized long baseMsr() {
        return baseMsr;
    }

    // ---- snapshot

    @Override
    public synchronized void saveState(dev.trapdoor.snapshot.StateWriter out) {
        out.i64(baseMsr).i32(id).i32(tpr).i32(ldr).i32(dfr).i32(svr).i32(icrLow).i32(icrHigh).i32(esr).i32(esrPending)
                .bool(lint0Level).bool(lint1Level).i32(ioapicExtInt).ints(lvt);
        irr.save(out);
        isr.save(out);
        tmr.save(out);
        timer.saveState(out);
    }

    /** The registers as saved (the register page moved back to the saved base if it differs), the timer re-armed. */
    @Override
    public void loadState(dev.trapdoor.snapshot.StateReader in) {
        long base = in.i64();
        long old;
        synchronized (this) {
            old = baseMsr;
        }
        long oldWindow = (old & BASE_ENABLE) != 0 ? old & 0xfffff000L : -1;
        long newWindow = (base & BASE_ENABLE) != 0 ? base & 0xfffff000L : -1;
        if (oldWindow != newWindow && !mover.move(oldWindow, newWindow))
            throw in.fail("has a local APIC page at " + Long.toHexString(newWindow) + " that cannot be mapped");
        synchronized (this) {
            baseMsr = base;
            id = in.i32();
            tpr = in.range(0, 0xff, "TPR");
            ldr = in.i32();
            dfr = in.i32();
            svr = in.i32();
            icrLow = in.i32();
            icrHigh = in.i32();
            esr = in.i32();
            esrPending = in.i32();
            lint0Level = in.bool();
            lint1Level = in.bool();
            ioapicExtInt = in.range(0, 24, "IO-APIC ExtINT inputs");
            in.intsInto(lvt);
            irr.load(in);
            isr.load(in);
            tmr.load(in);
            timer.loadState(in);
            update();
        }
    }

    /** After the devices that drive LINT0/LINT1 and the IO-APIC's inputs. */
    @Override
    public int loadOrder() {
        return 2;
    }

    /** WRMSR to IA32_APIC_BASE; false for reserved bits (x2APIC among them) or a refused move: #GP. */
    public boolean writeBaseMsr(long value) {
        long reserved = ~(0xfffff000L | BASE_BSP | BASE_ENABLE);
        if ((value & reserved) != 0) return false;
        long old;
        synchronized (this) {
            old = baseMsr;
        }
        long oldWindow = (old & BASE_ENABLE) != 0 ? old & 0xfffff000L : -1;
        long newWindow = (value & BASE_ENABLE) != 0 ? value & 0xfffff000L : -1;
        if (oldWindow != newWindow && !mover.move(oldWindow, newWindow)) return false;
        synchronized (this) {
            boolean disabling = (old & BASE_ENABLE) != 0 && (value & BASE_ENABLE) == 0;
            baseMsr = (value & ~BASE_BSP) | (old & BASE_BSP); // BSP is set by the processor's reset, not by software
            if (disabling) resetRegisters(); // re-enabling later finds the power-up state
            update();
        }
        return true;
    }

    public boolean isHardwareEnabled() {
        return (baseMsr() & BASE_ENABLE) != 0;
    }

    public synchronized boolean isSoftwareEnabled() {
        return (svr & SVR_ENABLE) != 0;
    }

    // ---- the CPU side

    @Override
    public boolean hasInterrupt() {
        if (irrReady) return true;
        InterruptController p = pic;
        return p != null && (extIntRouted || ioapicExtInt != 0) && p.hasInterrupt();
    }

    @Override
    public int acknowledge() {
        synchronized (this) {
            acknowledges++;
            if (irrReady) {
                int v = irr.highest();
                irr.clear(v);
                isr.set(v);
                update();
                return v;
            }
        }
        InterruptController p = pic;
        // ExtINT: the 8259 drives the vector; the APIC neither records nor prioritizes it (SDM 11.5.1, LVT delivery modes).
        if (p != null && (extIntRouted || ioapicExtInt != 0) && p.hasInterrupt()) return p.acknowledge();
        synchronized (this) {
            spurious++;
            return svr & 0xff; // the request went away: the spurious vector, no ISR bit (SDM 11.9)
        }
    }

    /** NMIs delivered (LINT1, an NMI IPI) and not yet taken by the CPU. */
    public synchronized long nmiPending() {
        return nmis;
    }

    /** The CPU takes one pending NMI; false if there is none. */
    public synchronized boolean takeNmi() {
        if (nmis == 0) return false;
        nmis--;
        return true;
    }

    // ---- delivery from the IO-APIC and from local sources

    /** Whether an interrupt message for dest in this destination mode is for this APIC (SDM 11.6.2). */
    public synchronized boolean accepts(int dest, boolean logical) {
        dest &= 0xff;
        if (!logical) return dest == 0xff || dest == (id >>> 24);
        int logicalId = ldr >>> 24;
        if ((dfr >>> 28) == 0xf) return (dest & logicalId) != 0; // flat model: a bit per APIC
        int cluster = dest >>> 4;                                   // cluster model: cluster, then a bit in it
        return (cluster == 0xf || cluster == (logicalId >>> 4)) && (dest & logicalId & 0xf) != 0;
    }

    /**
     * An interrupt message arriving (from the IO-APIC): fixed and lowest-priority set the IRR (and
     * the TMR for level-triggered ones), NMI counts for the CPU, ExtINT follows the 8259. Fixed
     * messages are ignored while the APIC is software-disabled (SDM 11.4.7.2).
     */
    public synchronized void deliver(int vector, int mode, boolean level) {
        switch (mode) {
            case MODE_FIXED, MODE_LOWEST -> accept(vector, level);
            case MODE_NMI -> nmis++;
            default -> drop("delivery mode " + mode + " from the IO-APIC", vector);
        }
    }

    /** An IO-APIC pin in ExtINT mode is asserted (true) or deasserted: the 8259's INTR passes while any is. */
    public synchronized void ioapicExtInt(boolean asserted) {
        ioapicExtInt = Math.max(0, ioapicExtInt + (asserted ? 1 : -1));
    }

    private void accept(int vector, boolean level) {
        if ((svr & SVR_ENABLE) == 0 || (baseMsr & BASE_ENABLE) == 0) return;
        if (vector < 16) {
            error(ESR_RECEIVE_ILLEGAL_VECTOR); // never an IRR bit below 16 (SDM 11.5.3)
            return;
        }
        irr.set(vector);
        if (level) tmr.set(vector);
        else tmr.clear(vector);
        update();
    }

    private void timerExpired() {
        synchronized (this) {
            localInterrupt(L_TIMER);
        }
    }

    /** An LVT entry's event: its fixed vector into the IRR unless masked. */
    private void localInterrupt(int entry) {
        int e = lvt[entry];
        if ((e & MASKED) != 0) return;
        int mode = entry == L_TIMER || entry == L_ERROR ? MODE_FIXED : (e >>> 8) & 7;
        switch (mode) {
            case MODE_FIXED -> accept(e & 0xff, false);
            case MODE_NMI -> nmis++;
            case MODE_EXTINT -> { } // a level the CPU polls through hasInterrupt()
            default -> drop("LVT delivery mode " + mode, e & 0xff);
        }
    }

    private void lintChanged(int entry, boolean level) {
        synchronized (this) {
            boolean was = entry == L_LINT0 ? lint0Level : lint1Level;
            if (entry == L_LINT0) lint0Level = level;
            else lint1Level = level;
            // Edge-triggered LINTs (and NMI, which is always edge) fire on the rising edge;
            // level-triggered fixed LINTs fire while asserted and their remote IRR is clear.
            int e = lvt[entry];
            boolean levelTriggered = (e & LEVEL) != 0 && ((e >>> 8) & 7) == MODE_FIXED;
            if (levelTriggered ? level && (e & (1 << 14)) == 0 : level && !was) {
                if (levelTriggered) lvt[entry] |= 1 << 14;
                localInterrupt(entry);
            }
        }
    }

    private void error(int bits) {
        int before = esrPending;
        esrPending |= bits;
        if (esrPending != before) localInterrupt(L_ERROR);
    }

    private void drop(String what, int vector) {
        droppedIpis++;
        lastDroppedIpi = what + ", vector " + vector;
    }

    // ---- priorities (SDM 11.8.3.1)

    private int ppr() {
        int isrv = isr.highest();
        int isrClass = isrv < 0 ? 0 : isrv >>> 4;
        return (tpr >>> 4) >= isrClass ? tpr : isrClass << 4;
    }

    /** Arbitration priority (SDM 11.6.2.4 for the Pentium and P6): the TPR, or the highest class in service or requested. */
    private int apr() {
        int isrv = Math.max(0, isr.highest()), irrv = Math.max(0, irr.highest());
        if ((tpr >>> 4) >= (irrv >>> 4) && (tpr >>> 4) > (isrv >>> 4)) return tpr;
        return Math.max(tpr >>> 4, Math.max(isrv >>> 4, irrv >>> 4)) << 4;
    }

    private void update() {
        int irrv = irr.highest();
        irrReady = (baseMsr & BASE_ENABLE) != 0 && irrv >= 0 && (irrv >>> 4) > (ppr() >>> 4);
        int l0 = lvt[L_LINT0];
        boolean hw = (baseMsr & BASE_ENABLE) != 0;
        // With the APIC disabled in IA32_APIC_BASE, LINT0 is the processor's INTR pin (SDM 11.4.3).
        extIntRouted = !hw || ((svr & SVR_ENABLE) != 0 && (l0 & MASKED) == 0 && ((l0 >>> 8) & 7) == MODE_EXTINT);
    }

    // ---- the register page

    @Override
    public long read(long offset, int size) {
        int reg = (int) offset & 0xff0;
        int within = (int) offset & 0xf;
        if (offset < 0 || offset >= 0x1000 || within >= 4) return 0;
        long v = readRegister(reg) & 0xffffffffL;
        v >>>= 8 * within;
        return size >= 8 ? v : v & ((1L << (8 * size)) - 1);
    }

    @Override
    public void write(long offset, int size, long value) {
        // Registers are written with aligned 32-bit stores; narrower or misaligned stores are model-specific: dropped.
        if (offset < 0 || offset >= 0x1000 || (offset & 0xf) != 0 || size < 4) return;
        writeRegister((int) offset, (int) value);
    }

    /** A register by its offset, as a 32-bit load reads it. */
    public int readRegister(int reg) {
        synchronized (this) {
            if ((baseMsr & BASE_ENABLE) == 0) return 0;
            if (reg == TIMER_CURRENT) return timer.currentCount();
            if (reg >= ISR && reg < ISR + 0x80) return isr.register((reg - ISR) >>> 4);
            if (reg >= TMR && reg < TMR + 0x80) return tmr.register((reg - TMR) >>> 4);
            if (reg >= IRR && reg < IRR + 0x80) return irr.register((reg - IRR) >>> 4);
            return switch (reg) {
                case ID -> id;
                case VER -> VERSION;
                case TPR -> tpr;
                case APR -> apr();
                case PPR -> ppr();
                case EOI, RRD -> 0;
                case LDR -> ldr;
                case DFR -> dfr;
                case SVR -> svr;
                case ESR -> esr;
                case ICR_LOW -> icrLow & ~DELIVERY_STATUS; // delivered at once: always idle
                case ICR_HIGH -> icrHigh;
                case LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR -> lvt[(reg - LVT_TIMER) >>> 4];
                case TIMER_INITIAL -> timer.initialCount();
                case TIMER_DIVIDE -> timer.divideConfig();
                default -> {
                    error(ESR_ILLEGAL_REGISTER);
                    yield 0;
                }
            };
        }
    }

    /** A register by its offset, as an aligned 32-bit store writes it. */
    public void writeRegister(int reg, int value) {
        int eoiVector = -1;
        synchronized (this) {
            if ((baseMsr & BASE_ENABLE) == 0) return;
            switch (reg) {
                case ID -> id = value & 0xff000000;
                case TPR -> tpr = value & 0xff;
                case EOI -> eoiVector = eoi();
                case LDR -> ldr = value & 0xff000000;
                case DFR -> dfr = value | 0x0fffffff;
                case SVR -> writeSvr(value);
                case ESR -> {
                    esr = esrPending; // the write latches the errors seen since the last one (SDM 11.5.3)
                    esrPending = 0;
                }
                case ICR_LOW -> sendIpi(value);
                case ICR_HIGH -> icrHigh = value & 0xff000000;
                case LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR -> writeLvt((reg - LVT_TIMER) >>> 4, value);
                case TIMER_INITIAL -> timer.setInitialCount(value);
                case TIMER_DIVIDE -> timer.setDivideConfig(value);
                case VER, APR, PPR, RRD, TIMER_CURRENT -> { } // read-only
                default -> {
                    if (reg < ISR || reg >= IRR + 0x80) error(ESR_ILLEGAL_REGISTER); // ISR/TMR/IRR are read-only
                }
            }
            update();
        }
        if (eoiVector >= 0) eoiBroadcast.accept(eoiVector);
    }

    /** Clears the highest ISR bit; returns its vector if it was level-triggered (to broadcast), else -1. */
    private int eoi() {
        int v = isr.highest();
        if (v < 0) return -1;
        isr.clear(v);
        for (int entry = L_LINT0; entry <= L_LINT1; entry++) {
            if ((lvt[entry] & 0xff) == v) lvt[entry] &= ~(1 << 14); // a level-triggered LINT's remote IRR
        }
        return tmr.get(v) ? v : -1;
    }

    private void writeSvr(int value) {
        svr = value & 0x3ff; // vector, APIC software enable, focus processor checking
        if ((svr & SVR_ENABLE) == 0) {
            for (int i = 0; i < LVT_COUNT; i++) lvt[i] |= MASKED; // SDM 11.4.7.2
        }
    }

    private void writeLvt(int entry, int value) {
        int keep = lvt[entry] & (DELIVERY_STATUS | (1 << 14)); // delivery status and remote IRR are read-only
        int v = (value & LVT_WRITABLE[entry]) | keep;
        if ((svr & SVR_ENABLE) == 0) v |= MASKED; // masks cannot be cleared while software-disabled
        lvt[entry] = v;
        if (entry == L_TIMER) timer.setPeriodic((v & PERIODIC) != 0);
        if ((entry == L_LINT0 || entry == L_LINT1) && (v & LEVEL) == 0) lvt[entry] &= ~(1 << 14);
    }

    /** ICR low written: the IPI goes out (SDM 11.6.1). Only this APIC exists, so only what reaches it lands. */
    private void sendIpi(int value) {
        icrLow = value & 0x000ccfff;
        int vector = value & 0xff;
        int mode = (value >>> 8) & 7;
        boolean logical = (value & (1 << 11)) != 0;
        int shorthand = (value >>> 18) & 3;
        boolean toSelf = switch (shorthand) {
            case 0 -> accepts(icrHigh >>> 24, logical);
            case 1, 2 -> true;
            default -> false;
        };
        boolean toOthers = shorthand >= 2 || (shorthand == 0 && (icrHigh >>> 24 != id >>> 24));
        switch (mode) {
            case MODE_FIXED, MODE_LOWEST -> {
                if (vector < 16) {
                    error(ESR_SEND_ILLEGAL_VECTOR);
                    return;
                }
                if (toSelf) accept(vector, false);
                if (toOthers && !toSelf) drop("IPI to APIC " + (icrHigh >>> 24) + " (no such processor)", vector);
            }
            case MODE_NMI -> {
                if (toSelf) nmis++;
            }
            case MODE_INIT -> drop((value & (1 << 14)) != 0 ? "INIT IPI (one processor: not supported)" : "INIT level de-assert", vector);
            case MODE_STARTUP -> drop("SIPI (one processor: not supported)", vector);
            default -> drop("IPI delivery mode " + mode, vector);
        }
    }

    // ---- inspection

    public synchronized int id() { return id >>> 24; }
    public synchronized boolean inService(int vector) { return isr.get(vector); }
    public synchronized boolean requested(int vector) { return irr.get(vector); }
    public synchronized long acknowledgeCount() { return acknowledges; }
    public synchronized long spuriousCount() { return spurious; }
    /** IPIs and messages this single-processor model cannot deliver (INIT, SIPI, other APICs). */
    public synchronized long droppedIpis() { return droppedIpis; }
    public synchronized String lastDroppedIpi() { return lastDroppedIpi; }
    public boolean timerRunning() { return timer.isRunning(); }

    @Override
    public synchronized String toString() {
        return String.format("local APIC %d at %#x%s%s, TPR %02x, PPR %02x, IRR %d, ISR %d", id >>> 24, baseMsr & 0xfffff000L,
                (baseMsr & BASE_ENABLE) != 0 ? "" : " (disabled)", (svr & SVR_ENABLE) != 0 ? "" : " (software-disabled)",
                tpr, ppr(), irr.highest(), isr.highest());
    }
}
