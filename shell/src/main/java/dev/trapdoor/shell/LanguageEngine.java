package dev.trapdoor.shell;

import dev.trapdoor.api.ExitCondition;

import java.nio.file.Path;
import java.util.Set;

/** What the shell needs from a script language: evaluate, tell incomplete input, share variables. */
interface LanguageEngine extends AutoCloseable {
    Language language();

    /** Evaluates source text; returns its value in Java terms, or null for nothing worth printing. */
    Object eval(String code, String sourceName);

    /** Runs a script file in this engine's global scope. */
    Object evalFile(Path file);

    /** True if the text is the start of something valid that more lines would finish. */
    boolean isIncomplete(String code);

    /** Compiles an expression over the variable {@code exit} into a breakpoint condition. */
    ExitCondition condition(String expression);

    void set(String name, Object value);

    /** A shared variable's value as a Java object, or null. */
    Object get(String name);

    /** Names of the global variables the user can see. */
    Set<String> variableNames();

    @Override
    void close();
}
