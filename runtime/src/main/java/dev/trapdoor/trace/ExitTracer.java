package dev.trapdoor.trace;

import dev.trapdoor.api.Hook;
import dev.trapdoor.api.Vm;

import java.io.Closeable;

/**
 * Records a VM's exit stream while it runs: a hook on every exit writes each one, with the VM's
 * virtual time, to an exit trace (JSON lines, docs/trace-format.md) and optionally to a
 * Chrome/Perfetto trace. Nothing is recorded, and nothing costs, until attached; close() detaches
 * and completes the files.
 * <pre>{@code
 * def t = ExitTracer.attach(vm, 'build/exits.jsonl', 'build/exits.trace.json')
 * vm.run(); t.close()
 * }</pre>
 */
public final class ExitTracer implements Closeable {
    private final Vm vm;
    private final Hook hook;
    private final ExitTraceWriter lines;
    private final ChromeTraceWriter chrome;

    private ExitTracer(Vm vm, ExitTraceWriter lines, ChromeTraceWriter chrome) {
        this.vm = vm;
        this.lines = lines;
        this.chrome = chrome;
        this.hook = vm.onExit(e -> {
            ExitRecord r = ExitRecord.of(e, vm.getClock().now());
            if (lines != null) lines.write(r);
            if (chrome != null) chrome.write(r);
            return null;
        });
    }

    /** Starts recording; either path may be null to skip that format. */
    public static ExitTracer attach(Vm vm, Object exitTracePath, Object chromeTracePath) {
        ExitTraceWriter lines = exitTracePath == null ? null : ExitTraceWriter.open(exitTracePath);
        ChromeTraceWriter chrome = chromeTracePath == null ? null : ChromeTraceWriter.open(chromeTracePath, vm.getName());
        return new ExitTracer(vm, lines, chrome);
    }

    /** Exits written to the exit trace so far (-1 when only the Chrome trace is written). */
    public long getCount() {
        return lines != null ? lines.count() : -1;
    }

    @Override
    public void close() {
        vm.delete(hook.id());
        if (lines != null) lines.close();
        if (chrome != null) chrome.close();
    }
}
