package dev.trapdoor.kvm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The computed ABI against the values the x86-64 kernel headers give (linux/kvm.h, compiled and printed). */
class KvmAbiTest {
    @Test
    void structSizesMatchTheKernelHeaders() {
        assertEquals(0x90, KvmAbi.KVM_REGS.byteSize());
        assertEquals(0x18, KvmAbi.KVM_SEGMENT.byteSize());
        assertEquals(0x10, KvmAbi.KVM_DTABLE.byteSize());
        assertEquals(0x138, KvmAbi.KVM_SREGS.byteSize());
        assertEquals(0x930, KvmAbi.KVM_RUN.byteSize());
        assertEquals(0x20, KvmAbi.KVM_USERSPACE_MEMORY_REGION.byteSize());
        assertEquals(0x48, KvmAbi.KVM_GUEST_DEBUG.byteSize());
        assertEquals(0x98, Libc.SIGACTION_LAYOUT.byteSize());
    }

    @Test
    void ioctlNumbersMatchTheKernelHeaders() {
        assertEquals(0xae00L, KvmAbi.KVM_GET_API_VERSION);
        assertEquals(0xae01L, KvmAbi.KVM_CREATE_VM);
        assertEquals(0xae41L, KvmAbi.KVM_CREATE_VCPU);
        assertEquals(0x4020ae46L, KvmAbi.KVM_SET_USER_MEMORY_REGION);
        assertEquals(0x4008ae48L, KvmAbi.KVM_SET_IDENTITY_MAP_ADDR);
        assertEquals(0xae80L, KvmAbi.KVM_RUN_IOCTL);
        assertEquals(0x8090ae81L, KvmAbi.KVM_GET_REGS);
        assertEquals(0x4090ae82L, KvmAbi.KVM_SET_REGS);
        assertEquals(0x8138ae83L, KvmAbi.KVM_GET_SREGS);
        assertEquals(0x4138ae84L, KvmAbi.KVM_SET_SREGS);
        assertEquals(0x4004ae86L, KvmAbi.KVM_INTERRUPT_IOCTL);
        assertEquals(0x4048ae9bL, KvmAbi.KVM_SET_GUEST_DEBUG);
        assertEquals(0xc018ae85L, KvmAbi.KVM_TRANSLATE);
    }

    @Test
    void kvmRunOffsetsMatchTheKernelHeaders() {
        assertEquals(0x08, KvmAbi.RUN_EXIT_REASON);
        assertEquals(0x0c, KvmAbi.RUN_READY_FOR_INTERRUPT);
        assertEquals(0x0d, KvmAbi.RUN_IF_FLAG);
        assertEquals(0x20, KvmAbi.RUN_IO_DIRECTION);
        assertEquals(0x22, KvmAbi.RUN_IO_PORT);
        assertEquals(0x24, KvmAbi.RUN_IO_COUNT);
        assertEquals(0x28, KvmAbi.RUN_IO_DATA_OFFSET);
        assertEquals(0x28, KvmAbi.RUN_MMIO_DATA);
        assertEquals(0x30, KvmAbi.RUN_MMIO_LEN);
        assertEquals(0x34, KvmAbi.RUN_MMIO_IS_WRITE);
        assertEquals(0x30, KvmAbi.RUN_DEBUG_DR6);
        assertEquals(0x28, KvmAbi.RUN_INTERNAL_DATA);
        assertEquals(0x120, KvmAbi.RUN_VALID_REGS);
        assertEquals(0x130, KvmAbi.RUN_SYNC_REGS);
        assertEquals(0x1c0, KvmAbi.RUN_SYNC_SREGS);
        assertEquals(0xc0, KvmAbi.SREGS_GDT);
        assertEquals(0xe0, KvmAbi.SREGS_CR0);
        assertEquals(0x108, KvmAbi.SREGS_EFER);
    }
}
