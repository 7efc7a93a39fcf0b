package dev.trapdoor.kvm;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.EptQualification;
import dev.trapdoor.vmx.IoQualification;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Guests run on /dev/kvm; skipped with the reason where KVM cannot be used. */
class KvmBackendTest {
    @BeforeAll
    static void needKvm() {
        String why = KvmBackend.availability();
        Assumptions.assumeTrue(why == null, why);
    }

    private static int byteAt(ExitInfo e, int i) {
        return e.data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
    }

    @Test
    void realModeOutsThenHlt() {
        try (KvmGuest g = new KvmGuest().realMode(
                0xba, 0xf8, 0x03,   // 1000 mov dx, 0x3f8
                0xb0, 'H',          // 1003 mov al, 'H'
                0xee,               // 1005 out dx, al
                0xb0, 'i',          // 1006 mov al, 'i'
                0xee,               // 1008 out dx, al
                0xe6, 0x80,         // 1009 out 0x80, al
                0xf4)) {            // 100b hlt
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(0x3f8, e.port);
            assertEquals(1, e.size);
            assertFalse(e.in);
            assertEquals(1, e.count);
            assertEquals('H', byteAt(e, 0));
            assertEquals(IoQualification.encode(0x3f8, 1, false, false, false, false), e.qualification);
            assertEquals(0x1005, e.rip);
            assertEquals(1, e.instructionLength);

            e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals('i', byteAt(e, 0));
            assertEquals(0x1008, e.rip);

            e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(0x80, e.port);
            assertEquals(IoQualification.encode(0x80, 1, false, false, false, true), e.qualification);
            assertEquals(0x1009, e.rip);
            assertEquals(2, e.instructionLength);

            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0x100b, e.rip);
            assertEquals(1, e.instructionLength);
            assertEquals(0x100c, g.registers().eip, "KVM resumes after the HLT");
        }
    }

    @Test
    void inDataFilledByTheHandlerLandsInAl() {
        try (KvmGuest g = new KvmGuest().realMode(
                0xba, 0x71, 0x00,   // 1000 mov dx, 0x71
                0xec,               // 1003 in al, dx
                0x88, 0xc3,         // 1004 mov bl, al
                0xe5, 0x40,         // 1006 in ax, 0x40
                0xf4)) {            // 1008 hlt
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertTrue(e.in);
            assertEquals(0x71, e.port);
            assertEquals(1, e.size);
            assertEquals(0x1003, e.rip);
            assertEquals(IoQualification.encode(0x71, 1, true, false, false, false), e.qualification);
            e.data.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x5a);

            e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(0x40, e.port);
            assertEquals(2, e.size);
            assertTrue(IoQualification.immediate(e.qualification));
            assertEquals(0x1006, e.rip);
            e.data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0xbeef);

            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            X86Registers r = g.registers();
            assertEquals(0x5a, r.gpr[X86Registers.EBX] & 0xff);
            assertEquals(0xbeef, r.gpr[X86Registers.EAX] & 0xffff);
        }
    }

    @Test
    void repInsbIsOneStringExitWithCountAboveOne() {
        try (KvmGuest g = new KvmGuest().realMode(
                0xf3, 0x6c,         // 1000 rep insb
                0xf4)) {            // 1002 hlt
            X86Registers r = g.registers();
            r.gpr[X86Registers.ECX] = 4;
            r.gpr[X86Registers.EDX] = 0x60;
            r.gpr[X86Registers.EDI] = 0x2000;
            g.vcpu.setRegisters(r);
            int got = 0;
            ExitInfo e = g.run();
            while (e.reason == ExitReason.IO_INSTRUCTION) {
                assertTrue(e.in);
                assertTrue(e.string);
                assertTrue(e.rep);
                assertEquals(0x1000, e.rip);
                assertEquals(2, e.instructionLength);
                assertTrue(IoQualification.string(e.qualification) && IoQualification.rep(e.qualification));
                for (int i = 0; i < e.count; i++) e.data.set(ValueLayout.JAVA_BYTE, i, (byte) ('a' + got + i));
                got += e.count;
                e = g.run();
            }
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(4, got);
            assertEquals("abcd", new String(g.memory.readBytes(0x2000, 4)));
            r = g.registers();
            assertEquals(0, r.gpr[X86Registers.ECX] & 0xffff);
            assertEquals(0x2004, r.gpr[X86Registers.EDI] & 0xffff);
        }
    }

    @Test
    void repInsbComesAsOneExitOfFour() {
        try (KvmGuest g = new KvmGuest().realMode(0xf3, 0x6c, 0xf4)) {
            X86Registers r = g.registers();
            r.gpr[X86Registers.ECX] = 4;
            r.gpr[X86Registers.EDX] = 0x60;
            r.gpr[X86Registers.EDI] = 0x2000;
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(4, e.count, "KVM reads ahead a whole REP INS into the data page");
            assertEquals(4, e.data.byteSize());
        }
    }

    @Test
    void repOutsbSendsEveryByteAsAStringExit() {
        try (KvmGuest g = new KvmGuest().realMode(
                0xf3, 0x6e,         // 1000 rep outsb
                0xf4)) {            // 1002 hlt
            g.memory.write(0x2100, "WXYZ".getBytes());
            X86Registers r = g.registers();
            r.gpr[X86Registers.ECX] = 4;
            r.gpr[X86Registers.EDX] = 0xe9;
            r.gpr[X86Registers.ESI] = 0x2100;
            g.vcpu.setRegisters(r);
            StringBuilder sent = new StringBuilder();
            ExitInfo e = g.run();
            while (e.reason == ExitReason.IO_INSTRUCTION) {
                assertFalse(e.in);
                assertEquals(0xe9, e.port);
                assertTrue(e.string, "OUTS is a string exit even when KVM hands over one element");
                assertTrue(e.rep);
                assertEquals(0x1000, e.rip);
                assertEquals(2, e.instructionLength);
                for (int i = 0; i < e.count; i++) sent.append((char) byteAt(e, i));
                e = g.run();
            }
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals("WXYZ", sent.toString());
            assertEquals(0x2104, g.registers().gpr[X86Registers.ESI] & 0xffff);
        }
    }

    @Test
    void plainOutsbIsLocatedBehindRip() {
        try (KvmGuest g = new KvmGuest().realMode(
                0x6e,               // 1000 outsb
                0x26, 0x6e,         // 1001 outsb es:
                0xf4)) {            // 1003 hlt
            g.memory.write(0x2100, "pq".getBytes());
            X86Registers r = g.registers();
            r.gpr[X86Registers.EDX] = 0xe9;
            r.gpr[X86Registers.ESI] = 0x2100;
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertTrue(e.string);
            assertFalse(e.rep);
            assertEquals('p', byteAt(e, 0));
            assertEquals(0x1000, e.rip);
            assertEquals(1, e.instructionLength);
            e = g.run();
            assertEquals('q', byteAt(e, 0));
            assertEquals(0x1001, e.rip);
            assertEquals(2, e.instructionLength);
            assertEquals(IoQualification.encode(0xe9, 1, false, true, false, false), e.qualification);
            assertEquals(ExitReason.HLT, g.run().reason);
        }
    }

    @Test
    void unmappedAccessesAreMmioExits() {
        try (KvmGuest g = new KvmGuest().flat32(
                0xa1, 0x00, 0x00, 0x00, 0xe0,                                // 1000 mov eax, [0xe0000000]
                0xc7, 0x05, 0x04, 0x00, 0x00, 0xe0, 0x78, 0x56, 0x34, 0x12,  // 1005 mov dword [0xe0000004], 0x12345678
                0x66, 0x89, 0x1d, 0x08, 0x00, 0x00, 0xe0,                    // 100f mov [0xe0000008], bx
                0xf4)) {                                                     // 1016 hlt
            X86Registers r = g.registers();
            r.gpr[X86Registers.EBX] = 0x4321;
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EPT_VIOLATION, e.reason);
            assertEquals(0xe0000000L, e.guestPhysical);
            assertEquals(4, e.size);
            assertTrue(e.in);
            assertEquals(EptQualification.DATA_READ, e.qualification);
            assertEquals(0x1000, e.rip, "a read is not retired before its data arrives");
            assertEquals(8, e.data.byteSize());
            e.data.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0xcafebabe);

            e = g.run();
            assertEquals(ExitReason.EPT_VIOLATION, e.reason);
            assertEquals(0xe0000004L, e.guestPhysical);
            assertEquals(4, e.size);
            assertFalse(e.in);
            assertEquals(EptQualification.DATA_WRITE, e.qualification);
            assertEquals(0x12345678, e.data.get(ValueLayout.JAVA_INT_UNALIGNED, 0));

            e = g.run();
            assertEquals(ExitReason.EPT_VIOLATION, e.reason);
            assertEquals(0xe0000008L, e.guestPhysical);
            assertEquals(2, e.size);
            assertEquals(0x4321, e.data.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xffff);

            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0xcafebabe, g.registers().gpr[X86Registers.EAX]);
        }
    }

    @Test
    void flat32GuestDoesOutAndHlt() {
        try (KvmGuest g = new KvmGuest().flat32(
                0xba, 0xf8, 0x03, 0x00, 0x00,  // 1000 mov edx, 0x3f8
                0xb8, 0x44, 0x33, 0x22, 0x11,  // 1005 mov eax, 0x11223344
                0xef,                          // 100a out dx, eax
                0x66, 0xef,                    // 100b out dx, ax
                0xf4)) {                       // 100d hlt
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(4, e.size);
            assertEquals(0x11223344, e.data.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            assertEquals(0x100a, e.rip);
            e = g.run();
            assertEquals(2, e.size);
            assertEquals(0x100b, e.rip);
            assertEquals(2, e.instructionLength);
            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0x100d, e.rip);
            X86Registers r = g.registers();
            assertTrue(r.protectedMode());
            assertTrue(r.seg[X86Registers.CS].big());
            assertEquals(0xffffffffL, r.seg[X86Registers.CS].limit);
        }
    }

    @Test
    void requestStopInterruptsAnEndlessLoop() throws Exception {
        try (KvmGuest g = new KvmGuest().realMode(0xeb, 0xfe)) { // jmp $
            for (int round = 0; round < 2; round++) {
                AtomicReference<ExitReason> result = new AtomicReference<>();
                Thread t = new Thread(() -> result.set(g.run().reason), "vcpu");
                t.start();
                Thread.sleep(200);
                assertTrue(t.isAlive(), "the guest loops until stopped");
                long asked = System.nanoTime();
                g.vcpu.requestStop();
                t.join(5000);
                long ms = (System.nanoTime() - asked) / 1_000_000;
                assertFalse(t.isAlive(), "KVM_RUN did not return after requestStop");
                assertEquals(ExitReason.STOP_REQUEST, result.get());
                assertTrue(ms < 1000, "stopped after " + ms + " ms");
                assertEquals(0x1000, g.registers().eip);
            }
        }
    }

    @Test
    void stopRequestedBetweenRunsEndsTheNextRunOnly() {
        try (KvmGuest g = new KvmGuest().realMode(0xe6, 0x80, 0xf4)) {
            g.vcpu.requestStop();
            assertEquals(ExitReason.STOP_REQUEST, g.run().reason);
            assertEquals(ExitReason.IO_INSTRUCTION, g.run().reason);
            assertEquals(ExitReason.HLT, g.run().reason);
        }
    }

    @Test
    void registersRoundTrip() {
        try (KvmGuest g = new KvmGuest()) {
            X86Registers in = X86Registers.realMode(0x1234, 0x5678);
            for (int i = 0; i < 8; i++) in.gpr[i] = 0x01020304 * (i + 1);
            in.eflags = 0x2 | 0x1 | 0x40;
            in.seg[X86Registers.DS].realMode(0x2000, false);
            in.gdtBase = 0x9000;
            in.gdtLimit = 0x27;
            in.idtBase = 0x0;
            in.idtLimit = 0x3ff;
            g.vcpu.setRegisters(in);
            X86Registers out = g.registers();
            for (int i = 0; i < 8; i++) assertEquals(in.gpr[i], out.gpr[i], X86Registers.GPR_NAMES[i]);
            assertEquals(in.eip, out.eip);
            assertEquals(in.eflags, out.eflags);
            for (int i = 0; i < 6; i++) {
                assertEquals(in.seg[i].selector, out.seg[i].selector, X86Registers.SEG_NAMES[i]);
                assertEquals(in.seg[i].base, out.seg[i].base, X86Registers.SEG_NAMES[i]);
                assertEquals(in.seg[i].limit, out.seg[i].limit, X86Registers.SEG_NAMES[i]);
            }
            assertEquals(0x12340, out.seg[X86Registers.CS].base);
            assertEquals(in.gdtBase, out.gdtBase);
            assertEquals(in.gdtLimit, out.gdtLimit);
            assertEquals(in.idtLimit, out.idtLimit);
            assertEquals(in.cr0, out.cr0);

            X86Registers flat = X86Registers.flat32(0x100000);
            flat.cr3 = 0x5000;
            g.vcpu.setRegisters(flat);
            out = g.registers();
            for (int i = 0; i < 6; i++) {
                assertEquals(flat.seg[i].selector, out.seg[i].selector, X86Registers.SEG_NAMES[i]);
                assertEquals(flat.seg[i].limit, out.seg[i].limit, X86Registers.SEG_NAMES[i]);
                assertEquals(flat.seg[i].access & 0xf0ff, out.seg[i].access & 0xf0ff, X86Registers.SEG_NAMES[i]);
            }
            assertEquals(flat.cr0 & 1, out.cr0 & 1);
            assertEquals(0x5000, out.cr3);
            assertEquals(0x100000, out.eip);
        }
    }

    @Test
    void injectedInterruptRunsTheRealModeHandler() {
        try (KvmGuest g = new KvmGuest().realMode(
                0xfb,               // 1000 sti
                0xf4,               // 1001 hlt
                0xb0, 'M',          // 1002 mov al, 'M'
                0xe6, 0x81,         // 1004 out 0x81, al
                0xf4)) {            // 1006 hlt
            g.memory.write(0x1100, KvmGuest.bytes(0xb0, 'I', 0xe6, 0x80, 0xcf)); // mov al,'I'; out 0x80,al; iret
            g.memory.write16(0x20 * 4, 0x1100);   // IVT entry 0x20: 0000:1100
            g.memory.write16(0x20 * 4 + 2, 0);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0x1001, e.rip);
            assertTrue(g.vcpu.injectInterrupt(0x20));
            e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(0x80, e.port);
            assertEquals('I', byteAt(e, 0));
            e = g.run();
            assertEquals(0x81, e.port);
            assertEquals('M', byteAt(e, 0));
            assertEquals(ExitReason.HLT, g.run().reason);
        }
    }

    @Test
    void interruptFromAnotherThreadReachesALoopingGuest() throws Exception {
        try (KvmGuest g = new KvmGuest().realMode(
                0xfb,               // 1000 sti
                0xeb, 0xfe)) {      // 1001 jmp $
            g.memory.write(0x1100, KvmGuest.bytes(0xe6, 0x80, 0xcf)); // out 0x80, al; iret
            g.memory.write16(0x21 * 4, 0x1100);
            AtomicReference<ExitInfo> result = new AtomicReference<>();
            Thread t = new Thread(() -> result.set(g.run()), "vcpu");
            t.start();
            Thread.sleep(200);
            assertTrue(g.vcpu.injectInterrupt(0x21));
            t.join(5000);
            assertFalse(t.isAlive(), "the interrupt did not bring the guest out of its loop");
            assertEquals(ExitReason.IO_INSTRUCTION, result.get().reason);
            assertEquals(0x80, result.get().port);
            assertEquals(0x1100, result.get().rip);
        }
    }

    @Test
    void reportsInstructionsRetiredAsUnknown() {
        try (KvmGuest g = new KvmGuest()) {
            assertEquals(-1, g.vcpu.instructionsRetired());
            assertEquals("kvm", g.backend.name());
        }
    }
}
