package dev.trapdoor.shell;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchRunnerTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String name, String text, String... args) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return Main.batch(f, List.of(args), new PrintWriter(out, true), new PrintWriter(err, true));
    }

    /** The hello guest's path as the script option --image, or an empty string when it is not checked out. */
    private static String image() {
        return Files.isRegularFile(ReplHarness.HELLO) ? ReplHarness.HELLO.toString() : "";
    }

    /** A Groovy script runs a guest through the API, reads its options and ends with exit(n). */
    @Test
    void groovyScriptSeesArgsAndItsExitStatusPropagates() throws IOException {
        int status = run("probe.groovy", """
                def backend = opt('backend', 'interp')
                def vm = hv.createVm(name: 'batch', backend: backend)
                if (opt('image', '')) vm.load(opt('image', ''), 0x1000)
                vm.mem.write(0x1100, "ok\\n\\0")
                def seen = []
                vm.onExit(IO_INSTRUCTION) { e -> if (e.out && e.port == 0x3f8) seen << (char) e.value; PASS }
                def r = vm.run()
                out("backend", backend, "args", args.length, "stopped", r.reason())
                println seen.join('').contains('ok') ? 'saw ok' : 'missed ' + seen
                exit(opt('status', 0))
                println 'not reached'
                """, "--backend", "interp", "--status", "3", "--image", image());
        assertEquals(3, status, err.toString());
        assertTrue(out.toString().contains("backend interp args 6 stopped HALTED"), out.toString());
        assertTrue(out.toString().contains("saw ok"), out.toString());
        assertFalse(out.toString().contains("not reached"));
        assertEquals("", err.toString());
    }

    @Test
    void javascriptScriptSeesArgsAndItsExitStatusPropagates() throws IOException {
        int status = run("probe.js", """
                const vm = hv.createVm({name: 'batchjs', memory: '1M'});
                if (opt('image', '')) vm.load(opt('image', ''), 0x1000);
                vm.mem.write(0x1100, "js\\n\\0");
                let seen = '';
                vm.onExit(IO_INSTRUCTION, e => { if (e.out && e.port == 0x3f8) seen += String.fromCharCode(e.value); return PASS; });
                const r = vm.run();
                out('args', args.length, args[0], 'backend', opt('backend', 'interp'), 'stopped', r.reason());
                out.println(seen.includes('js') ? 'saw js' : 'missed ' + seen);
                exit(opt('status', 0));
                print('not reached');
                """, "--status", "4", "--image", image());
        assertEquals(4, status, err.toString());
        assertTrue(out.toString().contains("args 4 --status backend interp stopped HALTED"), out.toString());
        assertTrue(out.toString().contains("saw js"), out.toString());
        assertFalse(out.toString().contains("not reached"));
    }

    @Test
    void anUncaughtErrorIsOneLineWithTheScriptLineAndStatusOne() throws IOException {
        int status = run("bad.groovy", """
                def vm = hv.createVm(name: 'bad')
                vm.breakOn('NOT_A_REASON')
                """);
        assertEquals(1, status);
        assertEquals("error: no exit reason named 'NOT_A_REASON' (bad.groovy:2)", err.toString().strip());

        err.getBuffer().setLength(0);
        status = run("bad.js", "let x = 1;\nundefinedFunction(x);\n");
        assertEquals(1, status);
        String line = err.toString().strip();
        assertTrue(line.startsWith("error: ReferenceError:") && line.endsWith("(bad.js:2)") && !line.contains("\n"), line);
    }

    @Test
    void aScriptThatEndsNormallyExitsZero() throws IOException {
        assertEquals(0, run("fine.groovy", "assert hv.vms.isEmpty()\n"));
        assertEquals(0, run("fine.js", "if (hv.vms.size() != 0) throw new Error('vms');\n"));
        assertEquals(1, run("unknown.txt", "x"));
    }
}
