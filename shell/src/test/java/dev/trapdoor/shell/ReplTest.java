package dev.trapdoor.shell;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplTest {
    private static String[] script(String[] prefix, String... lines) {
        List<String> all = new ArrayList<>(List.of(prefix));
        all.addAll(List.of(lines));
        return all.toArray(String[]::new);
    }

    private static int count(String haystack, String needle) {
        return haystack.split(Pattern.quote(needle), -1).length - 1;
    }

    /** The debugger loop: stop on the first byte sent to COM1, patch the rest of the message, continue. */
    @Test
    void breakPatchContinueChangesTheSerialOutput() {
        String screen = ReplHarness.run(script(ReplHarness.helloVm("t"),
                "poke 0x1100 \"Hi!\\n\\0\"",
                "break IO_INSTRUCTION if exit.out && exit.port == 0x3f8",
                "run",
                "vm.vcpu.pendingExit.value",
                "delete 1",
                "poke 0x1101 \"ey\\n\\0\"",
                "mem 0x1100 16",
                "continue",
                "exits",
                "breakpoints"));
        assertTrue(screen.contains("breakpoint #1 on IO_INSTRUCTION if exit.out && exit.port == 0x3f8"), screen);
        assertTrue(screen.contains("[t] breakpoint #1 at IO_INSTRUCTION(30)"), screen);
        assertTrue(screen.contains("72 (0x48)"), "the pending OUT carries 'H': " + screen);
        assertTrue(screen.contains("00001100: 48 65 79 0a 00"), screen);
        assertTrue(screen.contains("Hey\n"), "the patched text reached the serial port: " + screen);
        assertFalse(screen.contains("Hi!"), screen);
        assertTrue(Pattern.compile("IO_INSTRUCTION\\s+30\\s+\\d+").matcher(screen).find(), "exit table: " + screen);
        assertTrue(screen.contains("no breakpoints or hooks on t"), screen);
        assertEquals(1, count(screen, "[t] breakpoint"), screen);
    }

    /** The debugger stops the CPU notices itself: a read watch on the message, an instruction, a port. */
    @Test
    void watchAndBreakOnInstructionsAndPorts() {
        String screen = ReplHarness.run(script(ReplHarness.helloVm("w"),
                "watch 0x1106 1 r",
                "run",
                "delete 1",
                "break insn lgdtl",
                "continue",
                "break port 0x3f8 if exit.in == false",
                "delete 2",
                "continue",
                "breakpoints"));
        assertTrue(screen.contains("watchpoint #1 on reads of 0x1106+1 (linear)"), screen);
        assertTrue(screen.contains("read of 1 byte at 0x1106 (physical 0x1106) by the instruction at 0x100b: 0x66"), "lodsb read the 'f': " + screen);
        assertTrue(screen.contains("breakpoint #2 on instruction lgdt"), screen);
        assertTrue(screen.contains("breakpoint #3 on port 0x3f8 if exit.in == false"), screen);
        assertTrue(screen.contains("Hello \n") && screen.contains("from the guest!"), "the watch stopped between two characters: " + screen);
        assertEquals(3, count(screen, "[w] breakpoint #"), screen);
    }

    /** The views: disassembly, stepping, translation, devices, the VMCS. */
    @Test
    void viewsShowTheGuest() {
        String screen = ReplHarness.run(script(ReplHarness.helloVm("v"),
                "dis 0x1000 3",
                "step 3",
                "until 0x1008",
                "translate 0x1234",
                "devices",
                "vmcs"));
        assertTrue(screen.contains("1000:\tcli\n1001:\tcld\n1002:\txor    %ax,%ax"), "objdump-style listing: " + screen);
        assertTrue(screen.contains("eip=00001004"), "three instructions stepped: " + screen);
        assertTrue(screen.contains("1004:\tmov    %ax,%ds"), "the next instruction: " + screen);
        assertTrue(screen.contains("eip=00001008") && screen.contains("1008:\tmov    $0x1100,%si"), "until stopped before 0x1008: " + screen);
        assertTrue(screen.contains("0x1234 -> 0x1234"), "paging off: identity: " + screen);
        assertTrue(Pattern.compile("serial0\\s+Uart16550\\s+03f8-03ff").matcher(screen).find(), screen);
        assertTrue(screen.contains("EXCEPTION_BITMAP"), "the VMCS by group: " + screen);
    }

    /** Snapshots by name and file, recording and reverse-continue, as shell words. */
    @Test
    void snapshotRestoreAndReverseContinueWords(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String file = dir.resolve("hello.snap").toString().replace("\\", "/");
        String screen = ReplHarness.run(script(ReplHarness.helloVm("snap"),
                "snapshot",
                "record 2",
                "break IO_INSTRUCTION if exit.port == 0x3f8",
                "run",
                "c",
                "c",
                "rc IO_INSTRUCTION",
                "snapshot " + file,
                "restore s1",
                "restore " + file,
                "restore nothing-here"));
        assertTrue(screen.contains("s1: snapshot at 0 instructions"), screen);
        assertTrue(screen.contains("recording from exit 0"), screen);
        assertTrue(screen.contains("breakpoint: back at exit"), "rc stops at the earlier exit: " + screen);
        assertTrue(screen.contains("written to " + file), screen);
        assertTrue(screen.contains("restored s1: 0 instructions"), screen);
        assertTrue(screen.contains("restored " + file), screen);
        assertTrue(screen.contains("no snapshot named nothing-here"), screen);
    }

    @Test
    void aFailingInputPrintsOneLineAndTheSessionGoesOn() {
        String screen = ReplHarness.run(script(ReplHarness.helloVm("e"),
                "throw new RuntimeException('boom')",
                "vm.breakOn('NO_SUCH_REASON')",
                "if (true) {",
                "  undefinedThing.call()",
                "}",
                "x = = 1",
                "40 + 2",
                "poke 0x1100 \"ok\\n\\0\"",
                "run"));
        assertTrue(screen.contains("error: RuntimeException: boom\n"), screen);
        assertTrue(screen.contains("error: no exit reason named 'NO_SUCH_REASON'\n"), screen);
        assertTrue(screen.contains("error: No such property: undefinedThing for class: input") && screen.contains("(line 2)"), screen);
        assertTrue(screen.contains("error: syntax error: Unexpected input: '='"), screen);
        assertTrue(screen.contains("42 (0x2a)"), screen);
        assertTrue(screen.contains("ok\n") && screen.contains("[e] halted"), "the VM still runs: " + screen);
        for (String l : screen.split("\n")) assertFalse(l.startsWith("\tat "), "no stack traces: " + screen);
    }

    @Test
    void multiLineInputAndDeclarationsPersist() {
        String screen = ReplHarness.run(
                "def twice = { x ->",
                "  x * 2",
                "}",
                "int n = 21",
                "twice(n)",
                "[1, 2,",
                " 3].sum()");
        assertTrue(screen.contains("42 (0x2a)"), screen);
        assertTrue(screen.contains("\n6\n") || screen.contains("> 6\n"), screen);
    }

    /** Both languages see one hv and one current vm, and a breakpoint condition is compiled in the current one. */
    @Test
    void javascriptAndGroovyShareTheCurrentVm() {
        String screen = ReplHarness.run(script(ReplHarness.helloVm("g"),
                ":js",
                "vm.name + '!'",
                "poke 0x1100 \"AB\\n\\0\"",
                "break IO_INSTRUCTION if exit.out && exit.value == 0x42",
                "run",
                "vm.vcpu.pendingExit.port",
                "vm.vcpu.ebp = 0x1234",
                "function plus(a,",
                "    b) { return a + b; }",
                "plus(40, 2)",
                "vm = hv.createVm({name: 'fromjs', memory: '64K'})",
                "nope()",
                ":groovy",
                "vm.name",
                "use g",
                "vm.vcpu.ebp",
                "vm.breakpoints.size()"));
        assertTrue(screen.contains("js> "), screen);
        assertTrue(screen.contains("g!"), screen);
        assertTrue(screen.contains("[g] breakpoint #1 at IO_INSTRUCTION"), screen);
        assertTrue(screen.contains("1016 (0x3f8)"), screen);
        assertTrue(screen.contains("42 (0x2a)"), screen);
        assertTrue(screen.contains("error: ReferenceError: nope is not defined") || screen.contains("error: ReferenceError: \"nope\" is not defined"), screen);
        assertTrue(screen.contains("fromjs\n"), "Groovy sees the VM JS made current: " + screen);
        assertTrue(screen.contains("4660 (0x1234)"), "Groovy sees the register JS set: " + screen);
        assertTrue(screen.contains("trapdoor> 1\n"), "one breakpoint on g: " + screen);
    }
}
