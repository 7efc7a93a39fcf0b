package dev.trapdoor.vmx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExitQualificationsTest {

    @Test
    void crAccess() {
        long q = ExitQualifications.crMov(3, true, 6); // mov cr3, esi
        assertEquals(0x603, q);
        assertEquals(3, ExitQualifications.crNumber(q));
        assertEquals(ExitQualifications.CR_MOV_TO, ExitQualifications.crAccessType(q));
        assertEquals(6, ExitQualifications.crGpr(q));
        long r = ExitQualifications.crMov(8, false, 0); // mov eax, cr8
        assertEquals(0x18, r);
        assertEquals(ExitQualifications.CR_MOV_FROM, ExitQualifications.crAccessType(r));
        assertEquals(0x20, ExitQualifications.clts());
        long l = ExitQualifications.lmsw(true, 0xfff1);
        assertEquals(0xfff1_0070L, l);
        assertTrue(ExitQualifications.lmswMemoryOperand(l));
        assertEquals(0xfff1, ExitQualifications.lmswSource(l));
        assertEquals(0, ExitQualifications.crNumber(l));
    }

    @Test
    void movDr() {
        long q = ExitQualifications.movDr(7, false, 3); // mov ebx, dr7
        assertEquals(0x317, q);
        assertEquals(7, ExitQualifications.drNumber(q));
        assertTrue(ExitQualifications.drFrom(q));
        assertEquals(3, ExitQualifications.drGpr(q));
        assertFalse(ExitQualifications.drFrom(ExitQualifications.movDr(0, true, 0)));
    }

    @Test
    void debugAndTaskSwitch() {
        assertEquals(0x4005, ExitQualifications.debug(0b0101, false, true));
        assertEquals(0x2000, ExitQualifications.debug(0, true, false));
        long t = ExitQualifications.taskSwitch(0x28, ExitQualifications.TASK_SWITCH_IDT_GATE);
        assertEquals(0xC000_0028L, t);
        assertEquals(0x28, ExitQualifications.taskSwitchSelector(t));
        assertEquals(3, ExitQualifications.taskSwitchSource(t));
    }

    @Test
    void interruptionInformation() {
        int gp = InterruptionInfo.encode(13, InterruptionInfo.TYPE_HARDWARE_EXCEPTION, true);
        assertEquals(0x80000B0D, gp);
        assertTrue(InterruptionInfo.valid(gp));
        assertEquals(13, InterruptionInfo.vector(gp));
        assertEquals(3, InterruptionInfo.type(gp));
        assertTrue(InterruptionInfo.errorCodeValid(gp));
        assertFalse(InterruptionInfo.nmiUnblocking(gp));
        int irq = InterruptionInfo.encode(0x20, InterruptionInfo.TYPE_EXTERNAL_INTERRUPT, false);
        assertEquals(0x80000020, irq);
        assertEquals(0x80000202, InterruptionInfo.encode(2, InterruptionInfo.TYPE_NMI, false));
        assertEquals(0x80000602, InterruptionInfo.encode(0x102, InterruptionInfo.TYPE_SOFTWARE_EXCEPTION, false)); // vector is 8 bits
        assertTrue(InterruptionInfo.entryReservedBitsClear(irq));
        assertFalse(InterruptionInfo.entryReservedBitsClear(irq | InterruptionInfo.NMI_UNBLOCKING));
        assertTrue(InterruptionInfo.exceptionHasErrorCode(14));
        assertFalse(InterruptionInfo.exceptionHasErrorCode(6));
        assertEquals("vector 13 (hardware exception), error code", InterruptionInfo.describe(gp));
        assertEquals("invalid", InterruptionInfo.describe(0x0B0D));
    }
}
