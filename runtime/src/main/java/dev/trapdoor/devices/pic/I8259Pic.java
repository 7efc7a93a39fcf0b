package dev.trapdoor.devices.pic;

import dev.trapdoor.devices.PioDevice;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * One Intel 8259A programmable interrupt controller: two ports (offset 0: ICW1/OCW2/OCW3 and
 * IRR/ISR/poll reads; offset 1: ICW2-4/OCW1 and IMR reads). Two of them make the PC's pair, see
 * {@link DualPic}, which owns the cascade and the INTA sequencing.
 *
 * <p>Inputs: an edge-triggered input latches its request in IRR on the rising edge and keeps it
 * until INTA, even if the input falls first (the datasheet asks the input to stay high until
 * INTA; device models here often pulse, and a lost edge would be a lost interrupt). A
 * level-triggered input (LTIM, or the chipset's ELCR bit) has IRR follow the line, so a request
 * that goes away before INTA gives the spurious IR7 vector.
 *
 * <p>Not thread-safe on its own: {@link DualPic} serialises access.
 */
public final class I8259Pic implements PioDevice, Stateful {
    /** What the chip's INT output feeds (the CPU's INTR, or the master's cascade input). */
    interface Output {
        void changed();
    }

    private final boolean isMaster;
    private Output output = () -> { };

    // ---- registers (8259A datasheet, "Programming the 8259A")
    private int irr;
    private int isr;
    private int imr;
    private int lines;             // the IR input levels as driven
    private int elcr;              // level-triggered inputs (chipset ELCR)
    private int elcrMask;          // which ELCR bits exist
    private boolean ltim;          // ICW1 bit 3: the whole chip level-triggered
    private int vectorBase;        // ICW2 T7-T3
    private int icw3;              // master: inputs with a slave; slave: its ID
    private boolean singleMode;    // ICW1 SNGL
    private boolean autoEoi;       // ICW4 AEOI
    private boolean specialFullyNested; // ICW4 SFNM
    private boolean rotateOnAutoEoi;
    private boolean specialMask;   // OCW3 SMM
    private boolean readIsr;       // OCW3 RIS
    private boolean pollPending;   // OCW3 P: the next read is the poll word
    private int lowestPriority = 7;
    private int initStep;          // 0 = operational; 2,3,4 = the next ICW expected
    private boolean expectIcw4;

    private long spuriousAcks;

    I8259Pic(boolean isMaster, int elcrMask) {
        this.isMaster = isMaster;
        this.elcrMask = elcrMask;
        this.icw3 = isMaster ? 0x04 : 0x02;
    }

    void connect(Output out) {
        this.output = out;
    }

    // ---- port access

    @Override
    public int read(int offset, int size) {
        if (pollPending) {                          // after OCW3 P, the next read of either port
            pollPending = false;
            return poll();
        }
        if ((offset & 1) == 0) return readIsr ? isr : irr;
        return imr;
    }

    @Override
    public void write(int offset, int size, int value) {
        value &= 0xff;
        if ((offset & 1) == 0) {
            if ((value & 0x10) != 0) icw1(value);
            else if ((value & 0x08) == 0) ocw2(value);
            else ocw3(value);
        } else {
            switch (initStep) {
                case 2 -> {
                    vectorBase = value & 0xf8;
                    initStep = singleMode ? (expectIcw4 ? 4 : 0) : 3;
                }
                case 3 -> {
                    icw3 = value;
                    refreshLevelIrr();
                    initStep = expectIcw4 ? 4 : 0;
                }
                case 4 -> {
                    // ICW4: bit 0 uPM (8086 mode; MCS-80 mode has no meaning on a PC), bit 1
                    // AEOI, bits 3:2 buffered mode (no effect here), bit 4 SFNM.
                    autoEoi = (value & 0x02) != 0;
                    specialFullyNested = (value & 0x10) != 0;
                    initStep = 0;
                }
                default -> imr = value;
            }
        }
        output.changed();
    }

    /** ICW1 starts initialization (datasheet: "Initialization Command Words"). */
    private void icw1(int value) {
        expectIcw4 = (value & 0x01) != 0;
        singleMode = (value & 0x02) != 0;
        ltim = (value & 0x08) != 0;
        // The sequence clears IMR, resets the edge-sense latches, gives IR7 the lowest priority,
        // leaves special mask mode and selects IRR for status reads; ICW4 functions default off.
        imr = 0;
        isr = 0;
        irr = 0;
        lowestPriority = 7;
        specialMask = false;
        readIsr = false;
        pollPending = false;
        autoEoi = false;
        specialFullyNested = false;
        rotateOnAutoEoi = false;
        initStep = 2;
        refreshLevelIrr();
    }

    private void ocw2(int value) {
        int level = value & 7;
        switch (value >>> 5) {
            case 0b001 -> eoi(highestInService(), false);          // non-specific EOI
            case 0b011 -> eoi(level, false);                       // specific EOI
            case 0b101 -> eoi(highestInService(), true);           // rotate on non-specific EOI
            case 0b111 -> eoi(level, true);                        // rotate on specific EOI
            case 0b100 -> rotateOnAutoEoi = true;
            case 0b000 -> rotateOnAutoEoi = false;
            case 0b110 -> lowestPriority = level;                  // set priority
            default -> { }                                         // 0b010: no operation
        }
    }

    private void eoi(int level, boolean rotate) {
        if (level < 0) return;
        isr &= ~(1 << level);
        if (rotate) lowestPriority = level;
    }

    private void ocw3(int value) {
        if ((value & 0x40) != 0) specialMask = (value & 0x20) != 0;   // ESMM, SMM
        if ((value & 0x04) != 0) pollPending = true;                  // P
        if ((value & 0x02) != 0) readIsr = (value & 0x01) != 0;       // RR, RIS
    }

    /** Poll mode: the read acts as INTA and returns I (bit 7) and the level. */
    private int poll() {
        int level = highestRequestToServe();
        if (level < 0) return 0;
        acceptRequest(level);
        return 0x80 | level;
    }

    // ---- inputs

    void setLine(int n, boolean level) {
        int bit = 1 << n;
        boolean was = (lines & bit) != 0;
        if (level) {
            lines |= bit;
            if (!was || (levelMask() & bit) != 0) irr |= bit;
        } else {
            lines &= ~bit;
            if ((levelMask() & bit) != 0) irr &= ~bit;
        }
        output.changed();
    }

    void setElcr(int value) {
        elcr = value & elcrMask;
        refreshLevelIrr();
        output.changed();
    }

    int elcr() {
        return elcr;
    }

    /**
     * Inputs whose IRR follows the line. A master's cascade inputs are among them: the slave's
     * INT stays high while it has more to deliver, so an edge latch would lose those requests.
     */
    private int levelMask() {
        int cascade = isMaster && !singleMode ? icw3 : 0;
        return ltim ? 0xff : elcr | cascade;
    }

    private void refreshLevelIrr() {
        int level = levelMask();
        irr = (irr & ~level) | (lines & level);
    }

    // ---- priority resolution

    /** The INT output: some request outranks what is in service. */
    boolean intOutput() {
        return initStep == 0 && highestRequestToServe() >= 0;
    }

    /** The highest-priority unmasked request allowed by the in-service levels, or -1. */
    private int highestRequestToServe() {
        int pending = irr & ~imr;
        if (pending == 0) return -1;
        int blocking = isr;
        if (specialMask) blocking &= ~imr;         // masked levels do not block (OCW3 SMM)
        if (isMaster && specialFullyNested) blocking &= ~icw3; // a slave may interrupt its own level
        for (int i = 0; i < 8; i++) {
            int level = (lowestPriority + 1 + i) & 7;
            int bit = 1 << level;
            if ((blocking & bit) != 0) return -1;
            if ((pending & bit) != 0) return level;
        }
        return -1;
    }

    private int highestInService() {
        for (int i = 0; i < 8; i++) {
            int level = (lowestPriority + 1 + i) & 7;
            if ((isr & (1 << level)) != 0) return level;
        }
        return -1;
    }

    /**
     * The chip's part of INTA: returns the level it serves, or 7 with no ISR bit when the
     * request went away (the 8259A's spurious IR7).
     */
    int acknowledgeLevel() {
        int level = highestRequestToServe();
        if (level < 0) {
            spuriousAcks++;
            output.changed();
            return -1;
        }
        acceptRequest(level);
        return level;
    }

    private void acceptRequest(int level) {
        int bit = 1 << level;
        if ((levelMask() & bit) == 0) irr &= ~bit;   // the edge latch is consumed
        if (autoEoi) {
            if (rotateOnAutoEoi) lowestPriority = level;
        } else {
            isr |= bit;
        }
        output.changed();
    }

    int vector(int level) {
        return vectorBase | (level < 0 ? 7 : level);
    }

    boolean hasSlaveOn(int level) {
        return isMaster && !singleMode && (icw3 & (1 << level)) != 0;
    }

    // ---- reset and inspection

    void reset() {
        isr = 0;
        imr = 0;
        vectorBase = 0;
        singleMode = false;
        ltim = false;
        autoEoi = false;
        specialFullyNested = false;
        rotateOnAutoEoi = false;
        specialMask = false;
        readIsr = false;
        pollPending = false;
        lowestPriority = 7;
        initStep = 0;
        elcr = 0;
        icw3 = isMaster ? 0x04 : 0x02;
        refreshLevelIrr();
        output.changed();
    }

    public int irr() { return irr; }

    public int isr() { return isr; }

    public int imr() { return imr; }

    public int vectorBase() { return vectorBase; }

    public boolean autoEoi() { return autoEoi; }

    public boolean initialized() { return initStep == 0; }

    public long spuriousAcknowledges() { return spuriousAcks; }

    // ---- snapshot

    @Override
    public void saveState(StateWriter out) {
        out.i32(irr).i32(isr).i32(imr).i32(lines).i32(elcr).bool(ltim).i32(vectorBase).i32(icw3)
                .bool(singleMode).bool(autoEoi).bool(specialFullyNested).bool(rotateOnAutoEoi).bool(specialMask)
                .bool(readIsr).bool(pollPending).i32(lowestPriority).i32(initStep).bool(expectIcw4).i64(spuriousAcks);
    }

    @Override
    public void loadState(StateReader in) {
        irr = in.range(0, 0xff, "IRR");
        isr = in.range(0, 0xff, "ISR");
        imr = in.range(0, 0xff, "IMR");
        lines = in.range(0, 0xff, "input lines");
        elcr = in.range(0, 0xff, "ELCR") & elcrMask;
        ltim = in.bool();
        vectorBase = in.range(0, 0xff, "vector base") & 0xf8;
        icw3 = in.range(0, 0xff, "ICW3");
        singleMode = in.bool();
        autoEoi = in.bool();
        specialFullyNested = in.bool();
        rotateOnAutoEoi = in.bool();
        specialMask = in.bool();
        readIsr = in.bool();
        pollPending = in.bool();
        lowestPriority = in.range(0, 7, "lowest priority");
        initStep = in.range(0, 4, "initialization step");
        expectIcw4 = in.bool();
        spuriousAcks = in.i64();
    }
}
