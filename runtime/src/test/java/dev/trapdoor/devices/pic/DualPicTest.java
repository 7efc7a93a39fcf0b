package dev.trapdoor.devices.pic;

import static org.junit.jupiter.api.Assertions.*;

import dev.trapdoor.devices.IoBus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The 8259A pair driven the way Linux's arch/x86/kernel/i8259.c drives it. */
class DualPicTest {
    private static final int MASTER_CMD = 0x20, MASTER_IMR = 0x21, SLAVE_CMD = 0xa0, SLAVE_IMR = 0xa1;
    private IoBus bus;
    private DualPic pic;
    private final List<Boolean> intrChanges = new ArrayList<>();

    @BeforeEach
    void setUp() {
        bus = new IoBus();
        pic = new DualPic(intrChanges::add);
        pic.mapOn(bus);
    }

    private void out(int port, int v) { bus.write(port, 1, v); }

    private int in(int port) { return bus.read(port, 1); }

    /** init_8259A(auto_eoi): mask all, ICW1-4 to both chips, restore the masks. */
    private void linuxInit(boolean autoEoi) {
        out(MASTER_IMR, 0xff);
        out(SLAVE_IMR, 0xff);
        out(MASTER_CMD, 0x11);                 // ICW1: edge, cascade, ICW4
        out(MASTER_IMR, 0x30);                 // ICW2: ISA_IRQ_VECTOR(0)
        out(MASTER_IMR, 1 << 2);               // ICW3: slave on IR2
        out(MASTER_IMR, autoEoi ? 0x03 : 0x01); // ICW4: 8086 mode (+AEOI)
        out(SLAVE_CMD, 0x11);
        out(SLAVE_IMR, 0x38);
        out(SLAVE_IMR, 2);                     // slave ID
        out(SLAVE_IMR, 0x01);                  // ICW4: slave never uses AEOI in Linux
        out(MASTER_IMR, 0xfb);                 // cached masks: all but the cascade
        out(SLAVE_IMR, 0xff);
    }

    private void unmask(int irq) {
        int port = irq < 8 ? MASTER_IMR : SLAVE_IMR;
        out(port, in(port) & ~(1 << (irq & 7)));
    }

    /** i8259A_irq_real(irq): read ISR through OCW3, then back to IRR. */
    private boolean irqReal(int irq) {
        int cmd = irq < 8 ? MASTER_CMD : SLAVE_CMD;
        out(cmd, 0x0b);
        int v = in(cmd) & (1 << (irq & 7));
        out(cmd, 0x0a);
        return v != 0;
    }

    /** mask_and_ack_8259A without the spurious path: mask, specific EOI (and the cascade's). */
    private void maskAndAck(int irq) {
        if (irq >= 8) {
            in(SLAVE_IMR);
            out(SLAVE_IMR, in(SLAVE_IMR) | (1 << (irq & 7)));
            out(SLAVE_CMD, 0x60 + (irq & 7));
            out(MASTER_CMD, 0x60 + 2);
        } else {
            in(MASTER_IMR);
            out(MASTER_IMR, in(MASTER_IMR) | (1 << irq));
            out(MASTER_CMD, 0x60 + irq);
        }
    }

    @Test
    void linuxProbeReadsBackTheMask() {
        // probe_8259A: mask the slave, write ~(1 << cascade) to the master IMR and read it back.
        out(SLAVE_IMR, 0xff);
        out(MASTER_IMR, 0xfb);
        assertEquals(0xfb, in(MASTER_IMR));
        assertEquals(0xff, in(SLAVE_IMR));
    }

    @Test
    void masterInterruptDeliversVectorAndSetsIsrUntilEoi() {
        linuxInit(false);
        unmask(0);
        assertFalse(pic.hasInterrupt());
        pic.irq(0).raise();
        assertTrue(pic.hasInterrupt());
        assertEquals(List.of(true), intrChanges);
        assertEquals(0x30, pic.acknowledge());
        assertFalse(pic.hasInterrupt());
        assertTrue(irqReal(0));
        maskAndAck(0);
        assertFalse(irqReal(0));
        assertEquals(0, pic.master().isr());
    }

    @Test
    void slaveInterruptGoesThroughTheCascade() {
        linuxInit(false);
        unmask(14);
        pic.irq(14).raise();
        assertTrue(pic.hasInterrupt());
        assertEquals(0x3e, pic.acknowledge());
        assertEquals(1 << 2, pic.master().isr());
        assertEquals(1 << 6, pic.slave().isr());
        assertTrue(irqReal(14));
        maskAndAck(14);
        assertEquals(0, pic.master().isr());
        assertEquals(0, pic.slave().isr());
    }

    @Test
    void inServiceLevelBlocksLowerPriorityUntilEoi() {
        linuxInit(false);
        unmask(1);
        unmask(4);
        pic.irq(1).raise();
        assertEquals(0x31, pic.acknowledge());
        pic.irq(4).raise();
        assertFalse(pic.hasInterrupt(), "IRQ 4 ranks below IRQ 1 in service");
        pic.irq(0).raise();
        assertFalse(pic.hasInterrupt(), "IRQ 0 is masked");
        unmask(0);
        assertTrue(pic.hasInterrupt(), "IRQ 0 outranks IRQ 1");
        assertEquals(0x30, pic.acknowledge());
        out(MASTER_CMD, 0x20);                 // non-specific EOI clears the highest: IRQ 0
        assertEquals(1 << 1, pic.master().isr());
        out(MASTER_CMD, 0x20);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x34, pic.acknowledge());
    }

    @Test
    void edgeRequestIsLatchedEvenIfThePulseEndsBeforeInta() {
        linuxInit(false);
        unmask(3);
        pic.irq(3).raise();
        pic.irq(3).lower();
        assertTrue(pic.hasInterrupt());
        assertEquals(0x33, pic.acknowledge());
        out(MASTER_CMD, 0x63);
        assertFalse(pic.hasInterrupt(), "one edge, one interrupt");
        pic.irq(3).raise();
        assertEquals(0x33, pic.acknowledge());
        out(MASTER_CMD, 0x63);
        assertFalse(pic.hasInterrupt(), "a line held high gives no second interrupt");
    }

    @Test
    void levelRequestThatGoesAwayGivesSpuriousIrq7WithoutIsr() {
        linuxInit(false);
        out(0x4d0, 0x20);                      // ELCR: IRQ 5 level-triggered
        unmask(5);
        pic.irq(5).raise();
        assertTrue(pic.hasInterrupt());
        pic.irq(5).lower();
        assertEquals(0x37, pic.acknowledge());
        assertFalse(irqReal(7), "Linux sees no ISR bit and counts a spurious IRQ7");
        assertEquals(0, pic.master().isr());
        assertEquals(1, pic.master().spuriousAcknowledges());
    }

    @Test
    void levelRequestStaysInIrrAfterEoiWhileAsserted() {
        linuxInit(false);
        out(0x4d1, 0x08);                      // IRQ 11 level
        unmask(11);
        pic.irq(11).raise();
        assertEquals(0x3b, pic.acknowledge());
        maskAndAck(11);
        unmask(11);
        assertTrue(pic.hasInterrupt(), "the device still asserts its line");
        assertEquals(0x3b, pic.acknowledge());
    }

    @Test
    void slaveSpuriousGivesIrq15AndLeavesTheCascadeInService() {
        linuxInit(false);
        out(0x4d1, 0x80);                      // IRQ 15 level
        unmask(15);
        out(MASTER_IMR, in(MASTER_IMR));       // cascade unmasked by linuxInit
        pic.irq(15).raise();
        assertTrue(pic.hasInterrupt());
        // The slave's request vanishes between the master's and the slave's INTA. Model that by
        // masking it at the slave after the master has latched IR2 (level): the master then
        // drops IR2 too, so the whole cycle is spurious on the master.
        pic.irq(15).lower();
        assertEquals(0x37, pic.acknowledge());
        assertEquals(0, pic.master().isr());
    }

    @Test
    void irq2IsWiredToIrq9AsOnTheAtBus() {
        linuxInit(false);
        unmask(9);
        pic.irq(2).raise();
        assertEquals(0x39, pic.acknowledge());
    }

    @Test
    void intrListenerFollowsTheOutput() {
        linuxInit(false);
        unmask(4);
        pic.irq(4).raise();
        pic.acknowledge();
        out(MASTER_CMD, 0x20);
        pic.irq(4).lower();
        pic.irq(4).raise();
        assertEquals(List.of(true, false, true), intrChanges);
    }

    @Test
    void elcrIgnoresTheAlwaysEdgeIrqs() {
        out(0x4d0, 0xff);
        out(0x4d1, 0xff);
        assertEquals(0xf8, in(0x4d0));
        assertEquals(0xde, in(0x4d1));
        assertEquals(0xdef8, bus.read(0x4d0, 2));
    }

    @Test
    void autoEoiLeavesNothingInService() {
        linuxInit(true);
        unmask(0);
        pic.irq(0).raise();
        assertEquals(0x30, pic.acknowledge());
        assertEquals(0, pic.master().isr());
        assertFalse(irqReal(0));
    }

    @Test
    void icw1ClearsImrAndSelectsIrrReads() {
        out(MASTER_IMR, 0x55);
        out(MASTER_CMD, 0x0b);                 // read ISR
        out(MASTER_CMD, 0x11);
        assertEquals(0, pic.master().imr());
        pic.irq(6).raise();                    // latched while the chip is being initialised
        out(MASTER_IMR, 0x08);
        out(MASTER_IMR, 0x04);
        out(MASTER_IMR, 0x01);
        assertEquals(0x40, in(MASTER_CMD), "IRR is read after ICW1");
        assertEquals(0x0e, pic.acknowledge());
    }

    @Test
    void pollModeAcknowledgesThroughARead() {
        linuxInit(false);
        unmask(4);
        pic.irq(4).raise();
        out(MASTER_CMD, 0x0c);                 // OCW3 poll
        assertEquals(0x84, in(MASTER_CMD));
        assertEquals(1 << 4, pic.master().isr());
        out(MASTER_CMD, 0x0c);
        assertEquals(0x00, in(MASTER_CMD), "nothing else pending");
    }

    @Test
    void specificRotationMakesTheGivenLevelLowest() {
        linuxInit(false);
        out(MASTER_IMR, 0x00);
        out(MASTER_CMD, 0xc4);                 // set priority: IR4 lowest, IR5 highest
        pic.irq(3).raise();
        pic.irq(6).raise();
        assertEquals(0x36, pic.acknowledge());
        out(MASTER_CMD, 0xe6);                 // rotate on specific EOI 6: IR7 now highest
        assertEquals(0x33, pic.acknowledge());
    }

    @Test
    void specialMaskModeLetsLowerLevelsInterruptAnInServiceOne() {
        linuxInit(false);
        out(MASTER_IMR, 0x00);
        pic.irq(1).raise();
        assertEquals(0x31, pic.acknowledge());
        pic.irq(5).raise();
        assertFalse(pic.hasInterrupt());
        out(MASTER_IMR, 0x02);                 // mask the in-service level
        out(MASTER_CMD, 0x68);                 // OCW3: set special mask mode
        assertTrue(pic.hasInterrupt());
        assertEquals(0x35, pic.acknowledge());
        out(MASTER_CMD, 0x48);
    }

    @Test
    void sameInputsGiveTheSameVectorSequence() {
        assertEquals(runScript(), runScript());
    }

    private List<Integer> runScript() {
        DualPic p = new DualPic();
        IoBus b = new IoBus();
        p.mapOn(b);
        b.write(0x20, 1, 0x11); b.write(0x21, 1, 0x20); b.write(0x21, 1, 4); b.write(0x21, 1, 1);
        b.write(0xa0, 1, 0x11); b.write(0xa1, 1, 0x28); b.write(0xa1, 1, 2); b.write(0xa1, 1, 1);
        List<Integer> vectors = new ArrayList<>();
        int[] order = {9, 3, 12, 0, 7, 15, 1, 8, 4, 14};
        for (int irq : order) p.irq(irq).raise();
        while (p.hasInterrupt()) {
            int v = p.acknowledge();
            vectors.add(v);
            if (v >= 0x28) b.write(0xa0, 1, 0x20);
            b.write(0x20, 1, 0x20);
        }
        assertEquals(10, vectors.size());
        return vectors;
    }
}
