package dev.trapdoor.vmx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VmcsTest {
    private final Vmcs vmcs = new Vmcs();

    @Test
    void writesAreMaskedToTheFieldWidth() {
        vmcs.write(VmcsField.GUEST_CS_SELECTOR, 0x12345678);
        assertEquals(0x5678, vmcs.read(VmcsField.GUEST_CS_SELECTOR));
        vmcs.write(VmcsField.EXCEPTION_BITMAP, -1L);
        assertEquals(0xffffffffL, vmcs.read(VmcsField.EXCEPTION_BITMAP));
        vmcs.write(VmcsField.TSC_OFFSET, -5L);
        assertEquals(-5L, vmcs.read(VmcsField.TSC_OFFSET));
        Vmcs ia32 = new Vmcs(32);
        ia32.write(VmcsField.GUEST_RIP, 0x1_0000_1234L);
        assertEquals(0x1234, ia32.read(VmcsField.GUEST_RIP));
    }

    @Test
    void vmwriteToReadOnlyFieldFailsWithError13ButTheProcessorCanStore() {
        assertEquals(Vmcs.VMXERR_READ_ONLY_COMPONENT, vmcs.vmwrite(VmcsField.EXIT_REASON.encoding(), 12));
        assertEquals(13, vmcs.read(VmcsField.VM_INSTRUCTION_ERROR));
        assertEquals(0, vmcs.read(VmcsField.EXIT_REASON));
        assertThrows(IllegalArgumentException.class, () -> vmcs.write(VmcsField.EXIT_QUALIFICATION, 1));
        vmcs.store(VmcsField.EXIT_REASON, ExitReason.HLT.number());
        assertEquals(12, vmcs.read(VmcsField.EXIT_REASON));
        vmcs.exitInfoWritable(true); // IA32_VMX_MISC bit 29
        assertEquals(0, vmcs.vmwrite(VmcsField.EXIT_REASON.encoding(), 30));
        assertEquals(30, vmcs.read(VmcsField.EXIT_REASON));
    }

    @Test
    void vmwriteAndVmreadOfUnsupportedEncodingsReportError12() {
        assertEquals(Vmcs.VMXERR_UNSUPPORTED_COMPONENT, vmcs.vmwrite(0x4831, 1));
        vmcs.store(VmcsField.VM_INSTRUCTION_ERROR, 0);
        assertEquals(0, vmcs.vmread(0x6801)); // natural-width fields have no high half
        assertEquals(12, vmcs.read(VmcsField.VM_INSTRUCTION_ERROR));
    }

    @Test
    void highHalfAccessOf64BitFields() {
        vmcs.vmwrite(VmcsField.EPT_POINTER.encoding(), 0x1111_2222_3333_405EL);
        assertEquals(0, vmcs.vmwrite(VmcsField.EPT_POINTER.encoding() | 1, 0xABCD));
        assertEquals(0x0000_ABCD_3333_405EL, vmcs.read(VmcsField.EPT_POINTER));
        assertEquals(0xABCD, vmcs.vmread(VmcsField.EPT_POINTER.encoding() | 1));
    }

    @Test
    void scriptAccessByNameAndGroupViews() {
        vmcs.putAt("EXCEPTION_BITMAP", 1 << 14);
        assertEquals(1 << 14, vmcs.getAt("exceptionBitmap"));
        vmcs.set("TSC_OFFSET", "0xffff_ffff_ffff_fff0");
        assertEquals(-16L, vmcs.get("TSC_OFFSET"));
        VmcsGroupView guest = vmcs.getGuest();
        guest.set("cr3", 0x1000);
        assertEquals(0x1000, vmcs.read(VmcsField.GUEST_CR3));
        assertEquals(0x1000, guest.get("CR3"));
        guest.set("esSelector", 0x10);
        assertEquals(0x10, vmcs.read(VmcsField.GUEST_ES_SELECTOR));
        assertTrue(guest.names().contains("rip"));
        assertTrue(vmcs.getHost().names().contains("ia32_sysenter_cs"));
        assertFalse(guest.names().contains("hlt_exiting"));
        assertThrows(IllegalArgumentException.class, () -> guest.get("exception_bitmap"));
        assertThrows(IllegalArgumentException.class, () -> vmcs.getExitInfo().set("exit_reason", 1));
        assertThrows(IllegalArgumentException.class, () -> vmcs.set("TSC_OFFSET", "lots"));
    }

    @Test
    void prettyPrintGroupsFieldsAndNamesControlBits() {
        vmcs.enable(VmcsField.PROC_BASED_CONTROLS, "HLT_EXITING", "useIoBitmaps");
        assertEquals(ProcBased.HLT_EXITING | ProcBased.USE_IO_BITMAPS, vmcs.procBased());
        String s = vmcs.toString();
        assertTrue(s.contains("guest:\n"), s);
        assertTrue(s.indexOf("execution:") < s.indexOf("PROC_BASED_CONTROLS"));
        assertTrue(s.contains("[HLT_EXITING, USE_IO_BITMAPS]"), s);
        assertTrue(s.contains("VMCS_LINK_POINTER                      ffffffffffffffff"), s);
        vmcs.disable(VmcsField.PROC_BASED_CONTROLS, "HLT_EXITING");
        assertEquals(ProcBased.USE_IO_BITMAPS, vmcs.procBased());
    }

    @Test
    void controlBitPositionsAreTheSdms() {
        assertEquals(7, Integer.numberOfTrailingZeros(ProcBased.HLT_EXITING));
        assertEquals(9, Integer.numberOfTrailingZeros(ProcBased.INVLPG_EXITING));
        assertEquals(10, Integer.numberOfTrailingZeros(ProcBased.MWAIT_EXITING));
        assertEquals(11, Integer.numberOfTrailingZeros(ProcBased.RDPMC_EXITING));
        assertEquals(12, Integer.numberOfTrailingZeros(ProcBased.RDTSC_EXITING));
        assertEquals(15, Integer.numberOfTrailingZeros(ProcBased.CR3_LOAD_EXITING));
        assertEquals(16, Integer.numberOfTrailingZeros(ProcBased.CR3_STORE_EXITING));
        assertEquals(19, Integer.numberOfTrailingZeros(ProcBased.CR8_LOAD_EXITING));
        assertEquals(20, Integer.numberOfTrailingZeros(ProcBased.CR8_STORE_EXITING));
        assertEquals(21, Integer.numberOfTrailingZeros(ProcBased.USE_TPR_SHADOW));
        assertEquals(22, Integer.numberOfTrailingZeros(ProcBased.NMI_WINDOW_EXITING));
        assertEquals(23, Integer.numberOfTrailingZeros(ProcBased.MOV_DR_EXITING));
        assertEquals(24, Integer.numberOfTrailingZeros(ProcBased.UNCONDITIONAL_IO_EXITING));
        assertEquals(25, Integer.numberOfTrailingZeros(ProcBased.USE_IO_BITMAPS));
        assertEquals(27, Integer.numberOfTrailingZeros(ProcBased.MONITOR_TRAP_FLAG));
        assertEquals(28, Integer.numberOfTrailingZeros(ProcBased.USE_MSR_BITMAPS));
        assertEquals(29, Integer.numberOfTrailingZeros(ProcBased.MONITOR_EXITING));
        assertEquals(30, Integer.numberOfTrailingZeros(ProcBased.PAUSE_EXITING));
        assertEquals(31, Integer.numberOfTrailingZeros(ProcBased.ACTIVATE_SECONDARY_CONTROLS));
        assertEquals(1, Integer.numberOfTrailingZeros(ProcBased2.ENABLE_EPT));
        assertEquals(5, Integer.numberOfTrailingZeros(ProcBased2.ENABLE_VPID));
        assertEquals(7, Integer.numberOfTrailingZeros(ProcBased2.UNRESTRICTED_GUEST));
        assertEquals(6, Integer.numberOfTrailingZeros(PinBased.ACTIVATE_PREEMPTION_TIMER));
        assertEquals("NMI_EXITING", ControlBits.names(PinBased.class)[3]);
        // the default1 bits are none of the named controls except CR3 load/store exiting
        assertEquals(ProcBased.CR3_LOAD_EXITING | ProcBased.CR3_STORE_EXITING,
                ProcBased.DEFAULT1 & (ProcBased.CR3_LOAD_EXITING | ProcBased.CR3_STORE_EXITING | ProcBased.HLT_EXITING));
    }

    @Test
    void secondaryControlsCountOnlyWhenActivated() {
        vmcs.write(VmcsField.SECONDARY_PROC_BASED_CONTROLS, ProcBased2.ENABLE_EPT | ProcBased2.ENABLE_VPID);
        vmcs.write(VmcsField.VPID, 7);
        assertFalse(vmcs.eptEnabled());
        assertEquals(0, vmcs.vpid());
        vmcs.enable(VmcsField.PROC_BASED_CONTROLS, "ACTIVATE_SECONDARY_CONTROLS");
        assertTrue(vmcs.eptEnabled());
        assertEquals(7, vmcs.vpid());
    }

    @Test
    void pageFaultExitsWhenMatchEqualsBit14() {
        vmcs.write(VmcsField.PAGE_FAULT_ERROR_CODE_MASK, 0x2); // look at W/R only
        vmcs.write(VmcsField.PAGE_FAULT_ERROR_CODE_MATCH, 0x2); // match: write faults
        // bit 14 = 1: exit iff (PFEC & mask) == match
        vmcs.write(VmcsField.EXCEPTION_BITMAP, 1 << 14);
        assertTrue(vmcs.exceptionExits(14, 0x7));
        assertFalse(vmcs.exceptionExits(14, 0x5));
        // bit 14 = 0: exit iff (PFEC & mask) != match
        vmcs.write(VmcsField.EXCEPTION_BITMAP, 0);
        assertFalse(vmcs.exceptionExits(14, 0x7));
        assertTrue(vmcs.exceptionExits(14, 0x5));
        // mask = match = 0 (the usual setting): bit 14 alone decides
        vmcs.write(VmcsField.PAGE_FAULT_ERROR_CODE_MASK, 0);
        vmcs.write(VmcsField.PAGE_FAULT_ERROR_CODE_MATCH, 0);
        assertFalse(vmcs.exceptionExits(14, 0x7));
        vmcs.write(VmcsField.EXCEPTION_BITMAP, 1 << 14 | 1 << 6);
        assertTrue(vmcs.exceptionExits(14, 0x7));
        assertTrue(vmcs.exceptionExits(6, 0));
        assertFalse(vmcs.exceptionExits(13, 0));
        // mask = 0, match != 0 never matches: bit 14 = 1 means #PF never exits
        vmcs.write(VmcsField.PAGE_FAULT_ERROR_CODE_MATCH, 1);
        assertFalse(vmcs.exceptionExits(14, 0x1));
    }

    @Test
    void ioExitsByBitmapOrUnconditionally() {
        assertFalse(vmcs.ioExits(0x3f8, 1));
        vmcs.enable(VmcsField.PROC_BASED_CONTROLS, "UNCONDITIONAL_IO_EXITING");
        assertTrue(vmcs.ioExits(0x80, 1));
        // with the bitmaps in use, the unconditional control is ignored
        vmcs.enable(VmcsField.PROC_BASED_CONTROLS, "USE_IO_BITMAPS");
        assertFalse(vmcs.ioExits(0x80, 1));
        vmcs.ioBitmaps().set(0x3f9, true);
        vmcs.ioBitmaps().set(0x8000, true);
        assertTrue(vmcs.ioExits(0x3f9, 1));
        assertTrue(vmcs.ioExits(0x3f8, 2)); // touches 0x3f9
        assertFalse(vmcs.ioExits(0x3f8, 1));
        assertTrue(vmcs.ioExits(0x7fff, 2)); // crosses into bitmap B's first port
        assertEquals(1, vmcs.ioBitmaps().b()[0]);
        assertEquals(2, vmcs.ioBitmaps().a()[0x3f9 >>> 3]);
        assertTrue(vmcs.ioExits(0xffff, 2)); // wraps around the port space
        assertFalse(vmcs.ioExits(0xffff, 1));
    }

    @Test
    void msrBitmapQuarters() {
        assertTrue(vmcs.msrExits(0x10, false)); // no bitmaps: every RDMSR exits
        vmcs.enable(VmcsField.PROC_BASED_CONTROLS, "USE_MSR_BITMAPS");
        assertFalse(vmcs.msrExits(0x10, false));
        assertTrue(vmcs.msrExits(0x4000_0000, false)); // outside both ranges
        MsrBitmap m = vmcs.msrBitmap();
        m.set(0x10, true, true); // WRMSR of TSC
        m.set(0xC000_0080, false, true); // RDMSR of EFER
        assertTrue(vmcs.msrExits(0x10, true));
        assertFalse(vmcs.msrExits(0x10, false));
        assertTrue(vmcs.msrExits(0xC000_0080, false));
        assertFalse(vmcs.msrExits(0xC000_0080, true));
        assertEquals(1, m.bytes()[2048 + 2]); // write-low quarter, bit 0x10
        assertEquals(1, m.bytes()[1024 + 0x10]); // read-high quarter, bit 0x80
        assertThrows(IllegalArgumentException.class, () -> m.set(0x2000, false, false));
    }

    @Test
    void crAccessDecisions() {
        vmcs.enable(VmcsField.PROC_BASED_CONTROLS, "CR3_LOAD_EXITING");
        vmcs.write(VmcsField.CR3_TARGET_VALUE1, 0x5000);
        vmcs.write(VmcsField.CR3_TARGET_COUNT, 1);
        assertTrue(vmcs.cr3LoadExits(0x5000)); // target 1 is beyond the count
        vmcs.write(VmcsField.CR3_TARGET_COUNT, 2);
        assertFalse(vmcs.cr3LoadExits(0x5000));
        assertTrue(vmcs.cr3LoadExits(0x6000));

        vmcs.write(VmcsField.CR0_GUEST_HOST_MASK, 0x8000_0009L); // host owns PG, TS, PE
        vmcs.write(VmcsField.CR0_READ_SHADOW, 0x0000_0009L);
        assertFalse(vmcs.cr0WriteExits(0x0000_0019L)); // ET is guest-owned
        assertTrue(vmcs.cr0WriteExits(0x8000_0009L)); // sets PG
        assertEquals(0x0000_0029L, vmcs.cr0ReadValue(0x8000_0021L));
        assertTrue(vmcs.cltsExits());
        assertFalse(vmcs.lmswExits(0x9)); // same PE and TS as the shadow
        assertTrue(vmcs.lmswExits(0x1)); // clears TS
        vmcs.write(VmcsField.CR0_READ_SHADOW, 0);
        assertTrue(vmcs.lmswExits(0x1)); // sets PE
        assertFalse(vmcs.cltsExits());
    }

    @Test
    void recordExitFillsTheExitInfoGroup() {
        ExitInfo e = new ExitInfo();
        e.reset(ExitReason.EXCEPTION_NMI);
        e.vector = 14;
        e.errorCode = 6;
        e.qualification = 0xdead_b000L;
        e.instructionLength = 0;
        vmcs.recordExit(e);
        assertEquals(0, vmcs.read(VmcsField.EXIT_REASON));
        assertEquals(0xdead_b000L, vmcs.getExitInfo().get("exit_qualification"));
        long info = vmcs.read(VmcsField.VM_EXIT_INTERRUPTION_INFO);
        assertEquals(0x80000B0EL, info);
        assertEquals(6, vmcs.read(VmcsField.VM_EXIT_INTERRUPTION_ERROR_CODE));
    }
}
