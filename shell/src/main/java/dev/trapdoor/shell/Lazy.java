package dev.trapdoor.shell;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Supplier;

/** A value made once, by whichever thread asks first (or by a background warm-up). */
final class Lazy<T> {
    private final FutureTask<T> task;

    Lazy(Supplier<T> maker) {
        task = new FutureTask<>(maker::get);
    }

    T get() {
        task.run();
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting up", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    boolean isReady() {
        return task.isDone() && !task.isCancelled();
    }

    /** Starts making the value on a daemon thread; get() then waits for it. */
    void warmUpInBackground(String name) {
        Thread.ofPlatform().daemon().name(name).start(task);
    }
}
