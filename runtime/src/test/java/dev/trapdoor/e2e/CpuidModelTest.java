package dev.trapdoor.e2e;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.Vm;
import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.kvm.KvmBackend;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A VM's CPUID table is what its guest sees, on both backends (KVM through KVM_SET_CPUID2). */
class CpuidModelTest {
    /** Real mode: xor %eax,%eax; cpuid; mov %ebx,%eax; mov $0x500,%dx; out %eax,(%dx); hlt */
    private static final String CODE = "6631c00fa26689d8ba000566eff4";

    @ParameterizedTest
    @ValueSource(strings = {"interp", "kvm"})
    void theGuestSeesTheVmsCpuidTable(String backend) {
        if (backend.equals("kvm")) Assumptions.assumeTrue(KvmBackend.availability() == null, () -> "KVM: " + KvmBackend.availability());
        CpuidTable table = new CpuidTable();
        table.set(0, 0, new CpuidTable.Leaf(1, 0x70617254, 0x4d4d5644, 0x20726f6f)); // "Trap" "door" "VMM "
        table.set(1, 0, new CpuidTable.Leaf(0x0683, 0, 0, 0x1));
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().backend(backend).memory("64K").cpuid(table).build();
            vm.load(HexFormat.of().parseHex(CODE), 0x1000);
            vm.getVcpu().resetRealMode(0, 0x1000);
            List<Long> seen = new ArrayList<>();
            vm.onExit(ExitReason.IO_INSTRUCTION, e -> {
                if (e.getPort() == 0x500) seen.add(e.getValue());
                return null;
            });
            vm.run();
            assertEquals(List.of(0x70617254L), seen, "EBX of leaf 0 as the table says");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"interp", "kvm"})
    void eachBackendHasAnHonestDefaultModel(String backend) {
        if (backend.equals("kvm")) Assumptions.assumeTrue(KvmBackend.availability() == null, () -> "KVM: " + KvmBackend.availability());
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().backend(backend).memory("64K").build();
            CpuidTable t = vm.getCpuid();
            assertTrue(t.get(0, 0).eax() >= 1);
            if (backend.equals("interp")) assertEquals(0x756e6547, t.get(0, 0).ebx(), "GenuineIntel");
            else assertFalse(t.rows().isEmpty(), "KVM_GET_SUPPORTED_CPUID gave leaves");
        }
    }
}
