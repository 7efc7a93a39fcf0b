package dev.trapdoor.debug.gdb;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Debian's real gdb, in batch mode, attached to the stub over TCP with {@link FakeTarget} behind
 * it. Skipped when /usr/bin/gdb is missing. {@code -Dgdb.debug=true} prints gdb's packet log.
 */
class RealGdbTest {

    /** Runs gdb against the port with the commands; {@code whileRunning} gets the process while it runs. */
    /** Runs gdb against the port with the commands; {@code whileRunning} gets the process while it runs. */
    static String runGdb(int port, Consumer<Process> whileRunning, String... commands) throws IOException, InterruptedException {
        return GdbBatch.run(port, List.of("set architecture i386"), whileRunning, commands);
    }

    static void assertLine(String out, String regex) {
        GdbBatch.assertLine(out, regex);
    }

    @Test
    void registersMemoryBreakpointStepFloatMonitorDetach() throws Exception {
        FakeTarget target = new FakeTarget(0x1000);
        byte[] code = {0x12, 0x34, 0x56, 0x78};
        System.arraycopy(code, 0, target.memory, 0x1000, code.length);
        // One value pushed on an empty x87 stack: TOP = 7, physical R7 valid, ST(0) = 1.0.
        target.regs.set(I386Layout.FSTAT, 7 << 11);
        target.regs.set(I386Layout.FTAG, 0x3FFF);
        target.regs.setSt(0, 0x3FFF, 0x8000_0000_0000_0000L);
        String out;
        try (GdbServer server = new GdbServer(target)) {
            out = runGdb(server.start(0), p -> { }, "info registers eip", "x/4xb 0x1000", "break *0x1004", "continue",
                "stepi", "p $eip", "info float", "monitor exits", "detach");
        }
        assertLine(out, "^eip\\s+0x1000\\s+0x1000$");
        assertLine(out, "^0x1000:\\s+0x12\\s+0x34\\s+0x56\\s+0x78$");
        assertLine(out, "^Breakpoint 1 at 0x1004$");
        assertLine(out, "^Breakpoint 1, 0x00001004 in \\?\\? \\(\\)$");
        assertLine(out, "^0x00001005 in \\?\\? \\(\\)$");
        assertLine(out, "^\\$1 = \\(void \\(\\*\\)\\(\\)\\) 0x1005$");
        assertLine(out, "^=>R7: Valid\\s+0x3fff8000000000000000 \\+1\\s*$");
        assertLine(out, "^\\s+R0: Empty\\s+0x0+$");
        assertLine(out, "^Status Word:\\s+0x3800\\s*$");
        assertLine(out, "^\\s+TOP: 7$");
        assertLine(out, "^Control Word:\\s+0x037f\\s+IM DM ZM OM UM PM$");
        assertLine(out, "^exits: 5 instructions, 0 exits \\(fake target\\)$");
        assertLine(out, "^\\[Inferior 1 \\(Remote target\\) detached\\]$");
        assertEquals(List.of("attach", "insert SOFTWARE 1004", "resume", "remove SOFTWARE 1004", "step", "monitor exits", "detach"),
            target.calls);
    }

    @Test
    void largeBinaryWritesAndReadsRoundTrip(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        byte[] data = new byte[9000];
        new java.util.Random(42).nextBytes(data); // every byte value, so X needs escapes all over
        Path in = dir.resolve("in.bin"), back = dir.resolve("back.bin");
        Files.write(in, data);
        FakeTarget target = new FakeTarget(0x1000);
        try (GdbServer server = new GdbServer(target)) {
            runGdb(server.start(0), p -> { }, "restore " + in + " binary 0x6000",
                "dump binary memory " + back + " 0x6000 " + (0x6000 + data.length), "detach");
        }
        assertArrayEquals(data, java.util.Arrays.copyOfRange(target.memory, 0x6000, 0x6000 + data.length));
        assertArrayEquals(data, Files.readAllBytes(back));
    }

    @Test
    void hardwareBreakpointWatchpointRegisterWriteCtrlCAndKill() throws Exception {
        FakeTarget target = new FakeTarget(0x1000);
        byte[] store = {(byte) 0xA2, 0x00, 0x40, 0, 0, (byte) 0xF4}; // mov [0x4000],al; hlt
        System.arraycopy(store, 0, target.memory, 0x1010, store.length);
        String out;
        try (GdbServer server = new GdbServer(target)) {
            out = runGdb(server.start(0), p -> interruptWhenHalted(target, p),
                "hbreak *0x1008", "continue", "delete", "set $eax = 0x2a", "watch *(int *)0x4000", "continue",
                "delete", "continue", "p/x $eip", "set var *(unsigned char *)0x5000 = 7", "kill");
        }
        assertLine(out, "^Hardware assisted breakpoint 1 at 0x1008$");
        assertLine(out, "^Breakpoint 1, 0x00001008 in \\?\\? \\(\\)$");
        assertLine(out, "^Hardware watchpoint 2: \\*\\(int \\*\\)0x4000$");
        assertLine(out, "^Old value = -1869574000$"); // 0x90909090, the fake's filler
        assertLine(out, "^New value = -1869574102$"); // 0x9090902a
        assertLine(out, "^Program received signal SIGINT, Interrupt\\.$");
        assertLine(out, "^\\$1 = 0x1016$");
        assertEquals(0x2A, target.regs.get(I386Layout.EAX));
        assertEquals(7, target.memory[0x5000]);
        assertTrue(target.calls.contains("insert HARDWARE 1008"), target.calls.toString());
        assertTrue(target.calls.contains("insert WRITE_WATCH 4000"), target.calls.toString());
        assertTrue(target.calls.contains("interrupt"), target.calls.toString());
        assertEquals("kill", target.calls.getLast());
    }

    /** Sends SIGINT to gdb (as Ctrl-C at its terminal would) once the fake CPU sits in its hlt. */
    private static void interruptWhenHalted(FakeTarget target, Process gdb) {
        try {
            for (int i = 0; i < 3000 && !target.halted && gdb.isAlive(); i++) Thread.sleep(10);
            if (target.halted) new ProcessBuilder("kill", "-INT", Long.toString(gdb.pid())).start().waitFor();
        } catch (IOException | InterruptedException e) {
            throw new RuntimeException(e);
        }
    }
}
