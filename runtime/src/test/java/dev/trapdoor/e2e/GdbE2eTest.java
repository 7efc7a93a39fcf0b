package dev.trapdoor.e2e;

import dev.trapdoor.api.GdbStub;
import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.Vm;
import dev.trapdoor.debug.gdb.GdbBatch;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Debian's real gdb, in batch mode, debugging the hello guest on the interpreter through
 * {@link Vm#gdb(int)}. Skipped when /usr/bin/gdb is missing; {@code -Dgdb.debug=true} prints
 * gdb's packet log.
 */
class GdbE2eTest {

    /** Runs gdb attached to the port with the commands; whileRunning gets the process as it runs. */
    /** Runs gdb attached to the port with the commands; whileRunning gets the process as it runs. */
    static String gdb(int port, Consumer<Process> whileRunning, String... commands) throws IOException, InterruptedException {
        return GdbBatch.run(port, List.of(), whileRunning, commands);
    }

    static void assertLine(String out, String regex) {
        GdbBatch.assertLine(out, regex);
    }

    @Test
    void breakAtTheRepOutsbPatchTheMessageStepAndDetach() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = HelloGuestTest.helloVm(hv, "interp");
            GdbStub stub = vm.gdb(0);
            assertSame(stub, vm.gdb(0), "one stub per VM");
            String out = gdb(stub.getPort(), p -> { },
                    "info registers eip", "x/8xb 0x1100", "break *0x104c", "continue", "info registers eip",
                    "set {char}0x1140 = 'W'", "stepi", "p/x $eip", "monitor exits", "monitor why", "detach");
            assertLine(out, "^eip\\s+0x1000\\s+0x1000$");
            // "Hello fr": the message at 0x1100, read through the guest's (identity) translation.
            assertLine(out, "^0x1100:\\s+0x48\\s+0x65\\s+0x6c\\s+0x6c\\s+0x6f\\s+0x20\\s+0x66\\s+0x72$");
            assertLine(out, "^Breakpoint 1 at 0x104c$");
            assertLine(out, "^Breakpoint 1, 0x0000104c in \\?\\? \\(\\)$");
            assertLine(out, "^eip\\s+0x104c\\s+0x104c$");
            assertLine(out, "^\\$1 = 0x104e$");
            assertLine(out, "^IO_INSTRUCTION\\s+30\\s+\\d+\\s+\\d+\\s+\\d+$"); // count, cycles, cycles per exit
            assertLine(out, "^total\\s+\\d+\\s+\\d+\\s+\\d+$");
            assertLine(out, "^stepped");
            assertLine(out, "^\\[Inferior 1 \\(Remote target\\) detached\\]$");
            // The rep outsb ran after the patch: its first byte is the 'W'.
            assertEquals("Hello from the guest!\nWow in 32-bit protected mode.\n", vm.getSerialOutput());
            assertTrue(vm.getBreakpoints().isEmpty(), "gdb's breakpoints are gone after the detach: " + vm.getBreakpoints());
        }
    }

    /**
     * The same stub on KVM: gdb's breakpoint lands in DR0 through KVM_SET_GUEST_DEBUG, stepi is a
     * KVM single-step trap, and continuing from the breakpoint steps over it with DR0 off.
     */
    @Test
    void onKvmBreakpointsAreDebugRegistersAndStepiIsASingleStepTrap() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = HelloGuestTest.helloVm(hv, "kvm");
            GdbStub stub = vm.gdb(0);
            String out = gdb(stub.getPort(), p -> { },
                    "break *0x1043", "continue", "info registers eip", "stepi", "p/x $eip", "p/x $ecx", "stepi", "p/x $eip",
                    "delete", "break *0x104e", "continue", "p/x $eip", "detach");
            assertLine(out, "^Breakpoint 1 at 0x1043$");
            assertLine(out, "^Breakpoint 1, 0x00001043 in \\?\\? \\(\\)$");
            assertLine(out, "^eip\\s+0x1043\\s+0x1043$");
            assertLine(out, "^\\$1 = 0x1048$");
            assertLine(out, "^\\$2 = 0x1e$");
            assertLine(out, "^\\$3 = 0x104c$");
            assertLine(out, "^Breakpoint 2, 0x0000104e in \\?\\? \\(\\)$");
            assertLine(out, "^\\$4 = 0x104e$");
            assertEquals("Hello from the guest!\nNow in 32-bit protected mode.\n", vm.getSerialOutput(), "the rep outsb ran between the breakpoints");
        }
    }

    @Test
    void continueToTheHaltIsASigtrapAndTheSessionGoesOn() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = HelloGuestTest.helloVm(hv, "interp");
            String out = gdb(vm.gdb(0).getPort(), p -> { }, "continue", "p/x $eip", "monitor why", "x/2xb $eip - 1", "detach");
            assertLine(out, "^Program received signal SIGTRAP, Trace/breakpoint trap\\.$");
            assertLine(out, "^\\$1 = 0x104f$"); // after the hlt at 0x104e
            assertLine(out, "^halted.*interrupts disabled");
            assertLine(out, "^0x104e:\\s+0xf4\\s+0xeb$"); // hlt; jmp halt
            assertEquals(HelloGuestTest.EXPECTED, vm.getSerialOutput());
        }
    }

    /** gdb's watch and rwatch become Z2 and Z3 on the interpreter's CPU: hardware watchpoints with old and new values. */
    @Test
    void watchAndRwatchAreHardwareWatchpoints() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().name("watch").backend("interp").memory("1M").build();
            // xor si,si; loop: inc si; mov [0x2000],si; mov ax,[0x2002]; jmp loop
            vm.load(new byte[] {0x31, (byte) 0xF6, 0x46, (byte) 0x89, 0x36, 0x00, 0x20, (byte) 0xA1, 0x02, 0x20, (byte) 0xEB, (byte) 0xF6}, 0x1000);
            vm.getMem().poke16(0x2002, 0x1234);
            vm.getVcpu().resetRealMode(0, 0x1000);
            String out = gdb(vm.gdb(0).getPort(), p -> { }, "watch *(short *) 0x2000", "continue", "continue", "p/x $eip", "delete",
                    "rwatch *(short *) 0x2002", "continue", "p/x $eip", "p $esi", "detach");
            assertLine(out, "^Hardware watchpoint 1: \\*\\(short ?\\*\\) ?0x2000$");
            assertLine(out, "^Old value = 0$");
            assertLine(out, "^New value = 1$");
            assertLine(out, "^Old value = 1$");
            assertLine(out, "^New value = 2$");
            assertLine(out, "^\\$1 = 0x1007$"); // after the mov [0x2000],si
            assertLine(out, "^Hardware read watchpoint 2: \\*\\(short ?\\*\\) ?0x2002$");
            assertLine(out, "^Value = 4660$");
            assertLine(out, "^\\$2 = 0x100a$"); // after the mov ax,[0x2002]
            assertLine(out, "^\\$3 = 2$"); // the read of the second iteration
            assertTrue(vm.getBreakpoints().isEmpty(), "gdb's watchpoints are gone after the detach: " + vm.getBreakpoints());
        }
    }

    /** The x87 stack as gdb shows it, and a value gdb stores that the guest then converts. */
    @Test
    void x87RegistersReadAndWritten() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().name("fpu").backend("interp").memory("1M").build();
            // fld1; fldpi; fistp word [0x2000]; hlt
            vm.load(new byte[] {(byte) 0xD9, (byte) 0xE8, (byte) 0xD9, (byte) 0xEB, (byte) 0xDF, 0x1E, 0x00, 0x20, (byte) 0xF4}, 0x1000);
            vm.getVcpu().resetRealMode(0, 0x1000);
            String out = gdb(vm.gdb(0).getPort(), p -> { }, "break *0x1004", "continue", "p $st0", "p $st1", "p/x $fstat",
                    "p/x $ftag", "set $st0 = 2.5", "continue", "x/1dh 0x2000", "detach");
            assertLine(out, "^\\$1 = 3\\.14159265358979323851$");
            assertLine(out, "^\\$2 = 1$");
            assertLine(out, "^\\$3 = 0x3000$"); // TOP = 6
            assertLine(out, "^\\$4 = 0xfff$"); // R6 (pi) and R7 (1.0) valid, the rest empty
            assertLine(out, "^0x2000:\\s+2$"); // 2.5 rounded to even
            assertEquals(2, vm.getMem().peek16(0x2000));
        }
    }

    /** gdb's Ctrl-C (SIGINT to gdb, 0x03 on the wire) stops a guest spinning in jmp $; a killed VM is reported terminated. */
    @Test
    void ctrlCStopsASpinningGuestAndKillEndsIt() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().name("spin").backend("interp").memory("1M").build();
            vm.load(new byte[] {(byte) 0xEB, (byte) 0xFE}, 0x1000); // jmp $
            vm.getVcpu().resetRealMode(0, 0x1000);
            GdbStub stub = vm.gdb(0);
            String out = gdb(stub.getPort(), p -> interruptOnceRunning(vm, p), "continue", "p/x $eip", "monitor why", "kill");
            assertLine(out, "^Program received signal SIGINT, Interrupt\\.$");
            assertLine(out, "^\\$1 = 0x1000$");
            assertLine(out, "^interrupted");
            assertTrue(vm.getVcpu().getInstructions() > 1000, "it ran: " + vm.getVcpu().getInstructions());
            assertTrue(stub.isKilled());
            assertFalse(vm.getVcpu().isRunning());
            String again = gdb(stub.getPort(), p -> { }, "info registers eip");
            assertLine(again, "^The target is not running");
            assertLine(again, "^The program has no registers now\\.$");
        }
    }

    private static void interruptOnceRunning(Vm vm, Process gdb) {
        try {
            long start = System.nanoTime();
            while (gdb.isAlive() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)
                    && !(vm.getVcpu().isRunning() && vm.getVcpu().getInstructions() > 10_000)) {
                Thread.sleep(10);
            }
            if (gdb.isAlive()) new ProcessBuilder("kill", "-INT", Long.toString(gdb.pid())).start().waitFor();
        } catch (IOException | InterruptedException e) {
            throw new RuntimeException(e);
        }
    }
}
