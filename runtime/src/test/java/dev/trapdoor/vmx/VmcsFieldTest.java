package dev.trapdoor.vmx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VmcsFieldTest {

    @Test
    void everyEncodingRecomposesFromItsParts() {
        for (VmcsField f : VmcsField.values()) {
            int e = f.encoding();
            assertEquals(0, e & 1, f + ": full access type");
            assertEquals(0, e & (1 << 12), f + ": bit 12 reserved");
            assertEquals(0, e & ~0x7fff, f + ": bits 31:15 reserved");
            int recomposed = f.index() << 1 | f.type() << 10 | f.width() << 13;
            assertEquals(e, recomposed, f.name());
        }
    }

    @Test
    void typeMatchesGroupAndReadOnlyMeansExitInfo() {
        for (VmcsField f : VmcsField.values()) {
            assertEquals(f.group().encodingType(), f.type(), f.name());
            assertEquals(f.group() == VmcsGroup.EXIT_INFO, f.readOnly(), f.name());
            if (f.group() == VmcsGroup.GUEST_STATE && f != VmcsField.VMCS_LINK_POINTER
                    && f != VmcsField.VMX_PREEMPTION_TIMER_VALUE)
                assertTrue(f.name().startsWith("GUEST_"), f.name());
            if (f.group() == VmcsGroup.HOST_STATE) assertTrue(f.name().startsWith("HOST_"), f.name());
        }
    }

    @Test
    void encodingsAreUniqueAndLookUpBothHalves() {
        Set<Integer> seen = new HashSet<>();
        for (VmcsField f : VmcsField.values()) {
            assertTrue(seen.add(f.encoding()), f.name());
            assertSame(f, VmcsField.ofEncoding(f.encoding()));
            if (f.width() == VmcsField.WIDTH_64) assertSame(f, VmcsField.ofEncoding(f.encoding() | 1));
            else assertNull(VmcsField.ofEncoding(f.encoding() | 1), f + " has no high half");
        }
        assertNull(VmcsField.ofEncoding(0x4830));
        assertNull(VmcsField.ofEncoding(0x10000 | 0x4002));
        assertNull(VmcsField.ofEncoding(-1));
    }

    @Test
    void knownEncodingsFromAppendixB() {
        // Spot checks against the SDM tables, one per width and type.
        assertField(VmcsField.VPID, 0x0000, VmcsField.WIDTH_16, VmcsField.TYPE_CONTROL, 0);
        assertField(VmcsField.GUEST_TR_SELECTOR, 0x080E, VmcsField.WIDTH_16, VmcsField.TYPE_GUEST, 7);
        assertField(VmcsField.HOST_TR_SELECTOR, 0x0C0C, VmcsField.WIDTH_16, VmcsField.TYPE_HOST, 6);
        assertField(VmcsField.EPT_POINTER, 0x201A, VmcsField.WIDTH_64, VmcsField.TYPE_CONTROL, 13);
        assertField(VmcsField.GUEST_PHYSICAL_ADDRESS, 0x2400, VmcsField.WIDTH_64, VmcsField.TYPE_EXIT_INFO, 0);
        assertField(VmcsField.GUEST_PDPTE3, 0x2810, VmcsField.WIDTH_64, VmcsField.TYPE_GUEST, 8);
        assertField(VmcsField.SECONDARY_PROC_BASED_CONTROLS, 0x401E, VmcsField.WIDTH_32, VmcsField.TYPE_CONTROL, 15);
        assertField(VmcsField.EXIT_REASON, 0x4402, VmcsField.WIDTH_32, VmcsField.TYPE_EXIT_INFO, 1);
        assertField(VmcsField.VMX_PREEMPTION_TIMER_VALUE, 0x482E, VmcsField.WIDTH_32, VmcsField.TYPE_GUEST, 23);
        assertField(VmcsField.HOST_IA32_SYSENTER_CS, 0x4C00, VmcsField.WIDTH_32, VmcsField.TYPE_HOST, 0);
        assertField(VmcsField.CR3_TARGET_VALUE3, 0x600E, VmcsField.WIDTH_NATURAL, VmcsField.TYPE_CONTROL, 7);
        assertField(VmcsField.EXIT_QUALIFICATION, 0x6400, VmcsField.WIDTH_NATURAL, VmcsField.TYPE_EXIT_INFO, 0);
        assertField(VmcsField.GUEST_RIP, 0x681E, VmcsField.WIDTH_NATURAL, VmcsField.TYPE_GUEST, 15);
        assertField(VmcsField.HOST_RIP, 0x6C16, VmcsField.WIDTH_NATURAL, VmcsField.TYPE_HOST, 11);
    }

    private static void assertField(VmcsField f, int encoding, int width, int type, int index) {
        assertEquals(encoding, f.encoding(), f.name());
        assertEquals(width, f.width(), f.name());
        assertEquals(type, f.type(), f.name());
        assertEquals(index, f.index(), f.name());
    }

    @Test
    void groupsFollowTheSdmNotJustTheType() {
        assertEquals(VmcsGroup.EXIT_CONTROLS, VmcsField.VM_EXIT_MSR_STORE_ADDRESS.group());
        assertEquals(VmcsGroup.ENTRY_CONTROLS, VmcsField.VM_ENTRY_INTERRUPTION_INFO.group());
        assertEquals(VmcsGroup.EXECUTION_CONTROLS, VmcsField.TPR_THRESHOLD.group());
        assertFalse(VmcsField.VM_ENTRY_INTERRUPTION_INFO.readOnly());
        assertTrue(VmcsField.IDT_VECTORING_INFO.readOnly());
    }

    @Test
    void namesAreForgiving() {
        assertSame(VmcsField.EXCEPTION_BITMAP, VmcsField.byName("exceptionBitmap"));
        assertSame(VmcsField.GUEST_CR3, VmcsField.byName("guest_cr3"));
        assertNull(VmcsField.find("GUEST_CR5"));
    }
}
