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
        assertEquals(t.get(1, 0), t.get(0x80000005, 0));
        assertEquals(0x80000004, t.get(0x80000000, 0).eax());
        t.set(4, 1, new CpuidTable.Leaf(1, 2, 3, 4));
        assertEquals(2, t.get(4, 1).ebx());
    }

    @Test
    void interpreterModelIsAP6WithWhatLinux686AndBusyboxNeedAndNoSimd() {
        CpuidTable t = CpuidTable.interpreterDefault();
        CpuidTable.Leaf l1 = t.get(1, 0);
        assertEquals(6, (l1.eax() >>> 8) & 0xf, "family 6");
        int need = CpuidTable.EDX_FPU | CpuidTable.EDX_CX8 | CpuidTable.EDX_CMOV;
        assertEquals(need, l1.edx() & need);
        assertEquals(0, l1.edx() & ((1 << 23) | (1 << 25) | (1 << 26)), "no MMX, SSE, SSE2");
        assertEquals(1 << 6, l1.edx() & ((1 << 6) | (1 << 9)), "PAE paging, no APIC");
        assertEquals(0, l1.ecx() & ~CpuidTable.ECX_HYPERVISOR, "no ECX features but the hypervisor bit");
        CpuidTable.Leaf a = t.get(0x80000002, 0), b = t.get(0x80000003, 0), c = t.get(0x80000004, 0);
        String brand = ascii(a.eax(), a.ebx(), a.ecx(), a.edx(), b.eax(), b.ebx(), b.ecx(), b.edx(), c.eax(), c.ebx(), c.ecx(), c.edx());
        assertEquals(CpuidTable.INTERPRETER_BRAND, brand.substring(0, brand.indexOf('\0')));
        assertEquals(1 << 20, t.get(0x80000001, 0).edx(), "NX (execute-disable with PAE), no long mode");
    }

    private static String ascii(int... regs) {
        StringBuilder b = new StringBuilder();
        for (int r : regs) for (int i = 0; i < 4; i++) b.append((char) ((r >>> (8 * i)) & 0xff));
        return b.toString();
    }
}
