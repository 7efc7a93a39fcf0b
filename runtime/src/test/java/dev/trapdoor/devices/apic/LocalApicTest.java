package dev.trapdoor.devices.apic;

import dev.trapdoor.backend.InterruptController;
import dev.trapdoor.devices.clock.VirtualClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.trapdoor.devices.apic.LocalApic.*;
import static org.junit.jupiter.api.Assertions.*;

/** The local APIC against SDM Vol. 3A chapter 11, through its register page as a guest sees it. */
class LocalApicTest {
    final VirtualClock clock = new VirtualClock();
    int deadlineMoves;
    final LocalApic apic = new LocalApic(0, clock, clock::now, () -> deadlineMoves++);

    int rd(int reg) { return (int) apic.read(reg, 4); }
    void wr(int reg, int v) { apic.write(reg, 4, v & 0xffffffffL); }

    void enable() { wr(SVR, 0x1ff); }

    /** A fake 8259 whose INTR the test drives; INTA answers its vector. */
    static final class FakePic implements InterruptController {
        boolean intr;
        int vector = 0x20;
        int acks;
        @Override public boolean hasInterrupt() { return intr; }
        @Override public int acknowledge() { acks++; intr = false; return vector; }
    }

    @Test
    void powerUpStateIsSoftwareDisabledWithEveryLvtMasked() {
        // SDM 11.4.7.1: DFR all ones, SVR 0xff, LVT masked, the rest zero; IA32_APIC_BASE enabled, BSP, at 0xfee00000.
        assertEquals(0xfee00900L, apic.baseMsr());
        assertEquals(0, rd(ID));
        assertEquals(0x00050014, rd(VER), "version 0x14, max LVT entry 5");
        assertEquals(0xffffffff, rd(DFR));
        assertEquals(0xff, rd(SVR));
        for (int r = LVT_TIMER; r <= LVT_ERROR; r += 0x10) assertEquals(0x10000, rd(r), Integer.toHexString(r));
        assertEquals(0, rd(TPR));
        assertEquals(0, rd(TIMER_INITIAL));
        assertEquals(0, rd(TIMER_CURRENT));
        assertFalse(apic.hasInterrupt());
        // Software-disabled: a mask bit cannot be cleared (SDM 11.4.7.2).
        wr(LVT_TIMER, 0x30);
        assertEquals(0x10030, rd(LVT_TIMER));
        assertEquals(5 << 24, new LocalApic(5, clock, clock::now, () -> { }).readRegister(ID));
    }

    @Test
    void theVersionIsReadOnlyAndTheIdWritable() {
        wr(VER, 0);
        assertEquals(0x00050014, rd(VER));
        wr(ID, 0x0f000000);
        assertEquals(0x0f000000, rd(ID));
        assertEquals(15, apic.id());
    }

    @Test
    void theHighestClassIsServedFirstAndEoiEndsTheHighestInService() {
        enable();
        apic.deliver(0x31, MODE_FIXED, false);
        apic.deliver(0x45, MODE_FIXED, false);
        assertEquals(1 << 0x11, rd(IRR + 0x10), "IRR bits 63:32 hold vector 0x31");
        assertTrue(apic.hasInterrupt());
        assertEquals(0x45, apic.acknowledge());
        assertTrue(apic.inService(0x45));
        assertEquals(1 << 5, rd(ISR + 0x20), "ISR bit 0x45");
        assertEquals(0x40, rd(PPR), "PPR takes the in-service class (SDM 11.8.3.1)");
        // 0x31 is of a lower class than the one in service: held back.
        assertFalse(apic.hasInterrupt());
        // Same class as in service: held back too; a higher class preempts.
        apic.deliver(0x4f, MODE_FIXED, false);
        assertFalse(apic.hasInterrupt());
        apic.deliver(0x51, MODE_FIXED, false);
        assertTrue(apic.hasInterrupt());
        assertEquals(0x51, apic.acknowledge());
        wr(EOI, 0);
        assertFalse(apic.inService(0x51));
        assertTrue(apic.inService(0x45));
        wr(EOI, 0);
        assertEquals(0, rd(PPR));
        assertEquals(0x4f, apic.acknowledge());
        wr(EOI, 0);
        assertEquals(0x31, apic.acknowledge());
        wr(EOI, 0);
        assertFalse(apic.hasInterrupt());
        assertEquals(0, rd(ISR + 0x30));
    }

    @Test
    void theTaskPriorityHoldsBackLowerClasses() {
        enable();
        wr(TPR, 0x52);
        assertEquals(0x52, rd(TPR));
        assertEquals(0x52, rd(PPR), "TPR class >= in-service class: PPR = TPR");
        apic.deliver(0x55, MODE_FIXED, false);
        assertFalse(apic.hasInterrupt(), "vector class 5 is not above PPR class 5");
        wr(TPR, 0x40);
        assertTrue(apic.hasInterrupt());
        assertEquals(0x55, apic.acknowledge());
        assertEquals(0x50, rd(PPR));
    }

    @Test
    void levelTriggeredVectorsBroadcastTheirEoi() {
        enable();
        List<Integer> eois = new ArrayList<>();
        apic.onEoiBroadcast(eois::add);
        apic.deliver(0x61, MODE_FIXED, true);
        assertEquals(1 << 1, rd(TMR + 0x30), "TMR set for a level-triggered vector");
        apic.deliver(0x71, MODE_FIXED, false);
        assertEquals(0x71, apic.acknowledge());
        wr(EOI, 0);
        assertEquals(List.of(), eois, "edge: no broadcast");
        assertEquals(0x61, apic.acknowledge());
        wr(EOI, 0);
        assertEquals(List.of(0x61), eois);
    }

    @Test
    void vectorsBelowSixteenAreIllegal() {
        enable();
        wr(LVT_ERROR, 0xfe);
        apic.deliver(0x05, MODE_FIXED, false);
        assertFalse(apic.requested(0x05), "no IRR bit below 16 (SDM 11.5.3)");
        assertEquals(0, rd(ESR), "ESR shows errors only after a write");
        wr(ESR, 0);
        assertEquals(ESR_RECEIVE_ILLEGAL_VECTOR, rd(ESR));
        assertTrue(apic.requested(0xfe), "the error LVT raised its vector");
        wr(ICR_LOW, 0x00040003); // self IPI, vector 3
        wr(ESR, 0);
        assertEquals(ESR_SEND_ILLEGAL_VECTOR, rd(ESR));
        wr(ESR, 0);
        assertEquals(0, rd(ESR));
        apic.read(0x3f0, 4); // no register there
        wr(ESR, 0);
        assertEquals(ESR_ILLEGAL_REGISTER, rd(ESR));
    }

    @Test
    void softwareDisabledDropsFixedMessagesAndMasksTheLvt() {
        apic.deliver(0x40, MODE_FIXED, false);
        assertFalse(apic.requested(0x40));
        enable();
        wr(LVT_LINT1, 0x400);
        assertEquals(0x400, rd(LVT_LINT1));
        wr(SVR, 0xff);
        assertEquals(0x10400, rd(LVT_LINT1), "clearing the enable masks every LVT entry");
    }

    @Test
    void ipisReachOnlyThisApic() {
        enable();
        wr(ICR_HIGH, 0);
        wr(ICR_LOW, 0x00000040); // fixed, physical, destination 0 = us
        assertTrue(apic.requested(0x40));
        wr(ICR_LOW, 0x00040041); // self shorthand
        assertTrue(apic.requested(0x41));
        wr(ICR_HIGH, 0x03000000);
        wr(ICR_LOW, 0x00000042); // to APIC 3: nobody
        assertFalse(apic.requested(0x42));
        assertEquals(0x03000000, rd(ICR_HIGH));
        assertEquals(0x42, rd(ICR_LOW), "delivery status idle");
        long dropped = apic.droppedIpis();
        wr(ICR_LOW, 0x000c4500); // INIT to all excluding self
        wr(ICR_LOW, 0x000c4610); // SIPI
        assertEquals(dropped + 2, apic.droppedIpis());
        assertTrue(apic.lastDroppedIpi().contains("SIPI"), apic.lastDroppedIpi());
        wr(ICR_LOW, 0x00040400); // NMI to self
        assertEquals(1, apic.nmiPending());
        assertTrue(apic.takeNmi());
        assertFalse(apic.takeNmi());
    }

    @Test
    void logicalDestinationsInFlatAndClusterModels() {
        wr(LDR, 0x04000000);
        assertTrue(apic.accepts(0x05, true), "flat: any common bit");
        assertFalse(apic.accepts(0x08, true));
        wr(DFR, 0x0fffffff); // cluster model
        wr(LDR, 0x21000000); // cluster 2, member bit 0
        assertEquals(0x0fffffff, rd(DFR));
        assertTrue(apic.accepts(0x21, true));
        assertTrue(apic.accepts(0xf1, true), "cluster 15 is every cluster");
        assertFalse(apic.accepts(0x31, true));
        assertFalse(apic.accepts(0x22, true));
        assertTrue(apic.accepts(0x00, false));
        assertTrue(apic.accepts(0xff, false), "physical broadcast");
        assertFalse(apic.accepts(0x01, false));
    }

    @Test
    void oneShotTimerCountsDownOnVirtualTimeAndFiresOnce() {
        enable();
        wr(LVT_TIMER, 0x30);
        wr(TIMER_DIVIDE, 0x3); // divide by 16
        assertEquals(3, rd(TIMER_DIVIDE));
        int moves = deadlineMoves;
        wr(TIMER_INITIAL, 1000);
        assertEquals(moves + 1, deadlineMoves, "the vCPU is told about the new deadline");
        assertEquals(1000, rd(TIMER_CURRENT));
        assertEquals(16_000, clock.nextDeadline(), "1000 ticks of 16 ns (1 GHz bus clock / 16)");
        clock.advanceAndRun(8_000);
        assertEquals(500, rd(TIMER_CURRENT));
        assertFalse(apic.requested(0x30));
        clock.advanceAndRun(16_000);
        assertTrue(apic.requested(0x30));
        assertEquals(0, rd(TIMER_CURRENT));
        assertEquals(Long.MAX_VALUE, clock.nextDeadline(), "one shot");
        assertEquals(1000, rd(TIMER_INITIAL));
    }

    @Test
    void periodicTimerReloadsAndMaskedStillCounts() {
        enable();
        wr(LVT_TIMER, 0x20031); // periodic, vector 0x31
        wr(TIMER_DIVIDE, 0xb);  // divide by 1
        wr(TIMER_INITIAL, 100);
        clock.advanceAndRun(100);
        assertEquals(0x31, apic.acknowledge());
        wr(EOI, 0);
        assertEquals(100, rd(TIMER_CURRENT), "reloaded");
        clock.advanceAndRun(130);
        assertEquals(70, rd(TIMER_CURRENT));
        assertEquals(200, clock.nextDeadline());
        // Far past several periods: one expiry, then back on the period grid.
        clock.advanceTo(1_050);
        clock.runDue();
        assertEquals(1, apic.requested(0x31) ? 1 : 0);
        assertEquals(1_100, clock.nextDeadline());
        apic.acknowledge();
        wr(EOI, 0);
        wr(LVT_TIMER, 0x30031); // masked
        clock.advanceAndRun(1_100);
        assertFalse(apic.requested(0x31));
        assertEquals(1_200, clock.nextDeadline(), "a masked timer keeps counting");
        wr(TIMER_INITIAL, 0);
        assertEquals(Long.MAX_VALUE, clock.nextDeadline(), "initial count 0 stops it");
        assertEquals(0, rd(TIMER_CURRENT));
    }

    @Test
    void changingTheDividerKeepsTheCount() {
        enable();
        wr(LVT_TIMER, 0x30);
        wr(TIMER_DIVIDE, 0xb); // 1
        wr(TIMER_INITIAL, 1000);
        clock.advanceAndRun(400);
        wr(TIMER_DIVIDE, 0x0); // 2
        assertEquals(600, rd(TIMER_CURRENT));
        assertEquals(400 + 1200, clock.nextDeadline());
    }

    @Test
    void lint0InExtIntModePassesThe8259() {
        FakePic pic = new FakePic();
        apic.connectExtInt(pic);
        pic.intr = true;
        assertFalse(apic.hasInterrupt(), "power-up: LINT0 masked");
        apic.virtualWireMode();
        assertEquals(0x700, rd(LVT_LINT0));
        assertEquals(0x400, rd(LVT_LINT1));
        assertTrue(apic.hasInterrupt());
        assertEquals(0x20, apic.acknowledge());
        assertEquals(1, pic.acks);
        assertFalse(apic.inService(0x20), "ExtINT bypasses the ISR");
        // A fixed vector in the IRR goes first (the APIC answers INTA before the 8259).
        pic.intr = true;
        apic.deliver(0x90, MODE_FIXED, false);
        assertEquals(0x90, apic.acknowledge());
        assertEquals(0x20, apic.acknowledge());
        // Nothing left: the spurious vector, no ISR bit.
        assertEquals(0xff, apic.acknowledge());
        assertEquals(1, apic.spuriousCount());
        wr(LVT_LINT0, 0x10700);
        pic.intr = true;
        assertFalse(apic.hasInterrupt(), "masked LINT0");
    }

    @Test
    void lint1NmiOnTheRisingEdge() {
        apic.virtualWireMode();
        apic.lint1().raise();
        apic.lint1().raise();
        assertEquals(1, apic.nmiPending());
        apic.lint1().lower();
        apic.lint1().raise();
        assertEquals(2, apic.nmiPending());
    }

    @Test
    void theBaseMsrMovesAndDisablesThePage() {
        List<String> moves = new ArrayList<>();
        apic.onWindowMove((o, n) -> {
            moves.add(Long.toHexString(o) + "->" + (n < 0 ? "none" : Long.toHexString(n)));
            return n != 0x1000;
        });
        assertFalse(apic.writeBaseMsr(0xfee00900L | 1 << 10), "x2APIC enable is reserved here");
        assertFalse(apic.writeBaseMsr(0x1_0000_0900L), "above MAXPHYADDR");
        assertFalse(apic.writeBaseMsr(0x1900), "the board refused");
        assertTrue(apic.writeBaseMsr(0xfed00800L));
        assertEquals(0xfed00900L, apic.baseMsr(), "BSP stays");
        enable();
        wr(TPR, 0x20);
        assertTrue(apic.writeBaseMsr(0xfed00000L));
        assertFalse(apic.isHardwareEnabled());
        assertEquals(List.of("fee00000->1000", "fee00000->fed00000", "fed00000->none"), moves);
        assertTrue(apic.writeBaseMsr(0xfee00800L));
        assertEquals(0xff, rd(SVR), "re-enabled in the power-up state");
        assertEquals(0, rd(TPR));
    }

    @Test
    void registersNeedAlignedDwordStores() {
        enable();
        apic.write(TPR, 1, 0x30);
        assertEquals(0, rd(TPR));
        apic.write(TPR + 4, 4, 0x30);
        assertEquals(0, rd(TPR));
        wr(TPR, 0x1234);
        assertEquals(0x34, rd(TPR));
        assertEquals(0x34, apic.read(TPR, 1));
        assertEquals(0x05, apic.read(VER + 2, 1), "bytes of a register read back");
        assertEquals(0, apic.read(VER + 4, 4));
    }
}
