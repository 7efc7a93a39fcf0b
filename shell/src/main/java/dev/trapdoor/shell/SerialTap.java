package dev.trapdoor.shell;

import dev.trapdoor.api.Vm;
import dev.trapdoor.devices.CharBackend;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What a VM's serial port sent since the shell last looked, for VMs whose console is an
 * in-memory buffer rather than the terminal. The buffer is read through its
 * {@code outputBytes()} accessor, looked up by name so that any buffering console qualifies.
 */
final class SerialTap {
    private final Map<Vm, Integer> seen = new WeakHashMap<>();

    /** New output of vm's console, or "" (also for terminal consoles, which already showed it). */
    String newOutput(Vm vm) {
        byte[] all = bytesOf(vm.getConsole());
        if (all == null) return "";
        int from = Math.min(seen.getOrDefault(vm, 0), all.length);
        seen.put(vm, all.length);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }

    private static byte[] bytesOf(CharBackend console) {
        if (console == null || console instanceof TerminalConsole) return null;
        try {
            Method m = console.getClass().getMethod("outputBytes");
            return m.getReturnType() == byte[].class ? (byte[]) m.invoke(console) : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
