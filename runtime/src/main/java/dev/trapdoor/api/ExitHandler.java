package dev.trapdoor.api;

/** A script's exit hook: a Groovy closure, a JS function or a Java lambda. Null means {@link Action#PASS}. */
@FunctionalInterface
public interface ExitHandler {
    Action handle(Exit exit);
}
