package dev.trapdoor.shell;

import groovy.lang.Script;

import java.util.Arrays;
import java.util.List;

/** The base class of every Groovy script the shell runs: {@code exit(n)} and {@code opt(name, default)}. */
public abstract class TrapdoorScript extends Script {
    /** Ends the script (the batch run exits with this status). */
    public void exit(int status) {
        throw new ScriptExit(status);
    }

    public void exit() {
        exit(0);
    }

    /** The value of {@code --name X} in the script's args, or dflt. */
    public Object opt(String name, Object dflt) {
        return scriptArgs().opt(name, dflt);
    }

    public Object opt(String name) {
        return opt(name, null);
    }

    private ScriptArgs scriptArgs() {
        Object a = getBinding().hasVariable("args") ? getBinding().getVariable("args") : null;
        if (a instanceof String[] s) return new ScriptArgs(Arrays.asList(s));
        if (a instanceof List<?> l) return new ScriptArgs(l.stream().map(String::valueOf).toList());
        return new ScriptArgs(List.of());
    }
}
