package dev.trapdoor.api;

import dev.trapdoor.backend.Backend;
import dev.trapdoor.cpu.InterpreterBackend;
import dev.trapdoor.kvm.KvmBackend;

/** Creates backends by kind, with one clear sentence when one cannot run here. */
final class Backends {
    private Backends() {}

    static Backend create(BackendKind kind) {
        return switch (kind) {
            case INTERP -> new InterpreterBackend();
            case KVM -> {
                String why = KvmBackend.availability();
                if (why != null) throw new IllegalStateException("the kvm backend is not available: " + why + " The interp backend still works.");
                yield new KvmBackend();
            }
        };
    }

    /** Null if the backend can be used here, else why not. */
    static String availability(BackendKind kind) {
        return kind == BackendKind.KVM ? KvmBackend.availability() : null;
    }
}
