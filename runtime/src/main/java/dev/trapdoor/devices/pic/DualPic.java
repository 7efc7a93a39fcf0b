package dev.trapdoor.devices.pic;

import dev.trapdoor.backend.InterruptController;
import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.PioDevice;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * The PC's cascaded pair of 8259As: master at 0x20/0x21 (IRQ 0-7), slave at 0xa0/0xa1 (IRQ 8-15)
 * on the master's IR2, and the PIIX edge/level control registers (ELCR) at 0x4d0/0x4d1.
 *
 * <p>The CPU side is {@link InterruptController}: poll {@link #hasInterrupt()} whenever the vCPU
 * could take an interrupt, {@link #acknowledge()} runs both INTA cycles (the master names the
 * slave when the request came through IR2, and the slave gives the vector). Optionally an
 * {@link IrqLine} follows INTR, so a halted vCPU can be woken when it rises; it is called with
 * the PIC's lock held, so it must only signal (set a flag, unpark), never call back in from
 * another thread and wait.
 *
 * <p>All methods are synchronized: devices on other threads may drive {@link #irq(int)} lines.
 */
public final class DualPic implements InterruptController, Stateful {
    public static final int MASTER_BASE = 0x20;
    public static final int SLAVE_BASE = 0xa0;
    public static final int ELCR_BASE = 0x4d0;
    public static final int CASCADE_IRQ = 2;
    /** PIIX: IRQ 0, 1, 2, 8 and 13 are always edge-triggered; their ELCR bits read 0. */
    private static final int MASTER_ELCR_MASK = 0xf8;
    private static final int SLAVE_ELCR_MASK = 0xde;

    private final I8259Pic master = new I8259Pic(true, MASTER_ELCR_MASK);
    private final I8259Pic slave = new I8259Pic(false, SLAVE_ELCR_MASK);
    private final IrqLine[] irqs = new IrqLine[16];
    private final IrqLine intr;
    private volatile boolean intrLevel;
    private long acknowledges;

    private final PioDevice masterPorts = new Ports(master);
    private final PioDevice slavePorts = new Ports(slave);
    private final PioDevice elcrPorts = new PioDevice() {
        @Override
        public int read(int offset, int size) {
            synchronized (DualPic.this) {
                int v = master.elcr() | (slave.elcr() << 8);
                return (v >>> (8 * (offset & 1))) & (size == 1 ? 0xff : 0xffff);
            }
        }

        @Override
        public void write(int offset, int size, int value) {
            synchronized (DualPic.this) {
                for (int i = 0; i < size && offset + i < 2; i++) {
                    int b = (value >>> (8 * i)) & 0xff;
                    if (offset + i == 0) master.setElcr(b);
                    else slave.setElcr(b);
                }
            }
        }
    };

    public DualPic() {
        this(IrqLine.NONE);
    }

    /** @param intr follows the INTR output (for waking a halted vCPU); may be IrqLine.NONE */
    public DualPic(IrqLine intr) {
        this.intr = intr;
        slave.connect(() -> master.setLine(CASCADE_IRQ, slave.intOutput()));
        master.connect(this::updateIntr);
        for (int n = 0; n < 16; n++) {
            final I8259Pic chip = n < 8 ? master : slave;
            final int input = n & 7;
            irqs[n] = level -> {
                synchronized (DualPic.this) {
                    chip.setLine(input, level);
                }
            };
        }
    }

    /**
     * The input line for ISA IRQ n (0-15). The master's IR2 carries the cascade, so IRQ 2 is the
     * slave's IR1 (IRQ 9), as the AT bus wires its IRQ2 pin.
     */
    public IrqLine irq(int n) {
        if (n < 0 || n > 15) throw new IllegalArgumentException("ISA IRQ " + n + " is not 0-15");
        return irqs[n == CASCADE_IRQ ? 9 : n];
    }

    public PioDevice masterPorts() { return masterPorts; }

    public PioDevice slavePorts() { return slavePorts; }

    public PioDevice elcrPorts() { return elcrPorts; }

    /** Maps the master, the slave and the ELCR at their PC ports. */
    public void mapOn(IoBus bus) {
        bus.map("pic-master", MASTER_BASE, 2, masterPorts);
        bus.map("pic-slave", SLAVE_BASE, 2, slavePorts);
        bus.map("pic-elcr", ELCR_BASE, 2, elcrPorts);
    }

    // ---- CPU side

    /** Cheap enough to poll at every instruction boundary: a volatile read, no lock. */
    @Override
    public boolean hasInterrupt() {
        return intrLevel;
    }

    @Override
    public synchronized int acknowledge() {
        acknowledges++;
        int level = master.acknowledgeLevel();
        if (level >= 0 && master.hasSlaveOn(level)) {
            // Second INTA: the slave drives the vector, its own spurious IR7 (IRQ 15) included.
            return slave.vector(slave.acknowledgeLevel());
        }
        return master.vector(level);
    }

    private void updateIntr() {
        boolean level = master.intOutput();
        if (level != intrLevel) {
            intrLevel = level;
            intr.set(level);
        }
    }

    public synchronized void reset() {
        slave.reset();
        master.reset();
    }

    // ---- inspection

    public I8259Pic master() { return master; }

    public I8259Pic slave() { return slave; }

    public synchronized long acknowledgeCount() { return acknowledges; }

    private final class Ports implements PioDevice {
        private final I8259Pic chip;

        Ports(I8259Pic chip) {
            this.chip = chip;
        }

        // An 8-bit ISA device: a wider access is a byte access to each port in turn.
        @Override
        public int read(int offset, int size) {
            synchronized (DualPic.this) {
                int v = 0;
                for (int i = 0; i < size; i++) v |= chip.read(offset + i, 1) << (8 * i);
                return v;
            }
        }

        @Override
        public void write(int offset, int size, int value) {
            synchronized (DualPic.this) {
                for (int i = 0; i < size; i++) chip.write(offset + i, 1, value >>> (8 * i));
            }
        }
    }

    // ---- snapshot

    @Override
    public synchronized void saveState(StateWriter out) {
        out.part(master).part(slave).bool(intrLevel).i64(acknowledges);
    }

    /** Both chips, then INTR driven to the restored level (the vCPU polls it). */
    @Override
    public synchronized void loadState(StateReader in) {
        in.part(master, "master");
        in.part(slave, "slave");
        boolean level = in.bool();
        acknowledges = in.i64();
        intrLevel = level;
        intr.set(level);
    }

    @Override
    public int loadOrder() {
        return 1;
    }
}
