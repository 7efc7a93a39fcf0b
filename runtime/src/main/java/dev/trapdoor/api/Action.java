package dev.trapdoor.api;

/** What an exit hook decided. A hook that returns nothing (null) passes the exit on. */
public enum Action {
    /** The hook emulated the exit itself: skip the default handler and re-enter the guest. */
    HANDLED,
    /** Let the next hook, then the default handler, deal with it. */
    PASS,
    /** Stop the run here; the exit stays pending and is finished by the next run/continue. */
    STOP
}
