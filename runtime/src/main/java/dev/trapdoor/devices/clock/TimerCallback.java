package dev.trapdoor.devices.clock;

/** What a {@link VirtualClock.Timer} runs when its deadline has come. */
@FunctionalInterface
public interface TimerCallback {
    /**
     * @param timer the timer that fired (no longer pending; it may be rescheduled from here)
     * @param deadlineNanos the time it was due; devices compute their state at this instant, not
     *     at {@link VirtualClock#now()}, which may already be later
     */
    void fire(VirtualClock.Timer timer, long deadlineNanos);
}
