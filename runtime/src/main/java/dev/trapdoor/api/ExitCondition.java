package dev.trapdoor.api;

/** A breakpoint condition: a Groovy closure, a JS function or a Java lambda. */
@FunctionalInterface
public interface ExitCondition {
    boolean test(Exit exit);
}
