package dev.trapdoor.arch;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class CpuidTableTest {
    @Test
    void vendorAndHypervisorLeavesAndIntelOutOfRangeBehaviour() {
        CpuidTable t = CpuidTable.interpreterDefault();
        CpuidTable.Leaf l0 = t.get(0, 0);
        assertEquals(1, l0.eax());
        assertEquals(0x756e6547, l0.ebx());
        assertTrue((t.get(1, 0).ecx() & CpuidTable.ECX_HYPERVISOR) != 0);
        CpuidTable.Leaf hv = t.get(0x40000000, 0);
        assertEquals(0x40000000, hv.eax());
        assertEquals("TrapdoorVMM ", ascii(hv.ebx(), hv.ecx(), hv.edx()));
        // Past the highest basic leaf, Intel answers with the highest basic leaf's values.
        assertEquals(t.get(1, 0), t.get(7, 0));
        assertEquals(t.get(1, 0), t.get(0x80000000, 0));
        t.set(4, 1, new CpuidTable.Leaf(1, 2, 3, 4));
        assertEquals(2, t.get(4, 1).ebx());
    }

    private static String ascii(int... regs) {
        StringBuilder b = new StringBuilder();
        for (int r : regs) for (int i = 0; i < 4; i++) b.append((char) ((r >>> (8 * i)) & 0xff));
        return b.toString();
    }
}
