package org.mrine.serve;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import org.mrine.backend.cpu.CpuBackend;

/**
 * Where and how urgently the decoding thread runs, as a rig's real-time loop is set up on Linux:
 * pinned to one CPU ({@code sched_setaffinity}) and scheduled first-in-first-out above every
 * ordinary process ({@code SCHED_FIFO}), through libc by the FFM API. An acquisition program, a
 * display or a compiler on the same machine then no longer delays a decoding step by a time slice
 * (milliseconds); what remains is what the machine's firmware or a VM's host takes.
 *
 * <p>Each call acts on the calling thread only (Linux's thread id 0), and {@link Placement#close}
 * puts back what was there before. Threads that a placed thread starts inherit its CPU and policy,
 * so start them first ({@code mrine serve} starts its input readers, then places its decoding
 * thread). While placed, the CPU backend's parallel sections started on the thread run on it alone. SCHED_FIFO needs root or CAP_SYS_NICE (or an RLIMIT_RTPRIO
 * allowance); without it the call fails with one line saying so. The kernel's real-time throttling
 * (by default 95% of each second) still leaves the other threads of a thread that never sleeps some
 * time; the serving loop sleeps between bins anyway.
 */
public final class RealtimeThread {
    private RealtimeThread() {
    }

    /** glibc's cpu_set_t: 1024 CPUs. */
    private static final int CPU_SET_BYTES = 128;
    static final int SCHED_OTHER = 0, SCHED_FIFO = 1;
    private static final int EPERM = 1, ESRCH = 3, EINVAL = 22;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SET_AFFINITY, GET_AFFINITY, SET_SCHEDULER, GET_SCHEDULER, GET_PARAM, PRIORITY_MAX;
    private static final String PROBLEM;

    static {
        MethodHandle setAff = null, getAff = null, setSched = null, getSched = null, getParam = null, prioMax = null;
        String problem = null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            FunctionDescriptor intIntLongPtr = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
            setAff = linker.downcallHandle(libc.find("sched_setaffinity").orElseThrow(), intIntLongPtr, errno);
            getAff = linker.downcallHandle(libc.find("sched_getaffinity").orElseThrow(), intIntLongPtr, errno);
            setSched = linker.downcallHandle(libc.find("sched_setscheduler").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), errno);
            getSched = linker.downcallHandle(libc.find("sched_getscheduler").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno);
            getParam = linker.downcallHandle(libc.find("sched_getparam").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), errno);
            prioMax = linker.downcallHandle(libc.find("sched_get_priority_max").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno);
            if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) problem = "thread placement needs Linux (sched_setaffinity, SCHED_FIFO)";
        } catch (RuntimeException e) {
            problem = "thread placement is not available here (libc's scheduling calls: " + e.getMessage() + ")";
        }
        SET_AFFINITY = setAff;
        GET_AFFINITY = getAff;
        SET_SCHEDULER = setSched;
        GET_SCHEDULER = getSched;
        GET_PARAM = getParam;
        PRIORITY_MAX = prioMax;
        PROBLEM = problem;
    }

    /** Why thread placement cannot work here, or null. */
    public static String problem() {
        return PROBLEM;
    }

    /**
     * A thread's affinity and scheduling as they were; {@link #close} restores them (and lets the
     * CPU backend's helpers take part in the thread's parallel sections again).
     */
    public static final class Placement implements AutoCloseable {
        private final List<Integer> cpus;
        private final int policy, priority;
        private Runnable sectionsBack = () -> { };

        Placement(List<Integer> cpus, int policy, int priority) {
            this.cpus = cpus;
            this.policy = policy;
            this.priority = priority;
        }

        /** The CPUs the thread could run on before. */
        public List<Integer> cpus() {
            return cpus;
        }

        /** Its scheduling policy before (0: SCHED_OTHER). */
        public int policy() {
            return policy;
        }

        /** Its real-time priority before (0 under SCHED_OTHER). */
        public int priority() {
            return priority;
        }

        @Override
        public void close() {
            sectionsBack.run();
            sectionsBack = () -> { };
            setAffinity(cpus);
            setScheduler(policy, priority);
        }
    }

    /**
     * Places the calling thread: on {@code cpu} (negative: left where it is) and, with
     * {@code fifoPriority} from 1 to the maximum (99 on Linux), under SCHED_FIFO at that priority
     * (0: left as it is). Returns what was there before.
     *
     * @throws IllegalArgumentException a CPU this process may not run on, or a priority out of range
     * @throws IllegalStateException    not permitted (SCHED_FIFO without CAP_SYS_NICE), or not Linux
     */
    public static Placement place(int cpu, int fifoPriority) {
        if (PROBLEM != null) throw new IllegalStateException(PROBLEM);
        Placement before = new Placement(affinity(), policy(), priority());
        if (cpu >= 0) {
            if (!before.cpus().contains(cpu)) {
                throw new IllegalArgumentException("CPU " + cpu + " is not one this process may run on (it may run on " + before.cpus() + ")");
            }
            setAffinity(List.of(cpu));
        }
        // the CPU backend's parallel sections stay on this thread: a helper woken onto its CPU would wait for it
        before.sectionsBack = CpuBackend.sectionsOnCallerOnly();
        if (fifoPriority != 0) {
            int max = maxFifoPriority();
            if (fifoPriority < 1 || fifoPriority > max) {
                before.close();
                throw new IllegalArgumentException("real-time priority " + fifoPriority + ": expected 1 to " + max);
            }
            try {
                setScheduler(SCHED_FIFO, fifoPriority);
            } catch (RuntimeException e) {
                before.close();
                throw e;
            }
        }
        return before;
    }

    /**
     * Whether this machine grants the placement, tried on the calling thread and undone: a refusal
     * is bad input (IllegalArgumentException) naming the command's option, said before anything starts.
     */
    public static void checkGranted(int cpu, int fifoPriority, String cpuOption, String priorityOption) {
        if (cpu < 0 && fifoPriority == 0) return;
        try (Placement tried = place(cpu, fifoPriority)) {
            // granted; put back at once
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException((fifoPriority != 0 ? priorityOption : cpuOption) + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((e.getMessage().startsWith("real-time") ? priorityOption : cpuOption) + ": " + e.getMessage());
        }
    }

    /** The CPUs the calling thread may run on. */
    public static List<Integer> affinity() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(CPU_SET_BYTES);
            call(arena, "sched_getaffinity", state -> (int) GET_AFFINITY.invokeExact(state, 0, (long) CPU_SET_BYTES, mask));
            List<Integer> cpus = new ArrayList<>();
            for (int i = 0; i < CPU_SET_BYTES * 8; i++) {
                if ((mask.get(ValueLayout.JAVA_BYTE, i >> 3) & (1 << (i & 7))) != 0) cpus.add(i);
            }
            return cpus;
        }
    }

    /** The calling thread's scheduling policy: 0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR, ... */
    public static int policy() {
        try (Arena arena = Arena.ofConfined()) {
            return call(arena, "sched_getscheduler", state -> (int) GET_SCHEDULER.invokeExact(state, 0));
        }
    }

    /** The calling thread's static (real-time) priority: 0 under SCHED_OTHER. */
    public static int priority() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(ValueLayout.JAVA_INT);
            call(arena, "sched_getparam", state -> (int) GET_PARAM.invokeExact(state, 0, param));
            return param.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** SCHED_FIFO's highest priority (99 on Linux). */
    public static int maxFifoPriority() {
        try (Arena arena = Arena.ofConfined()) {
            return call(arena, "sched_get_priority_max", state -> (int) PRIORITY_MAX.invokeExact(state, SCHED_FIFO));
        }
    }

    private static void setAffinity(List<Integer> cpus) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(CPU_SET_BYTES);
            for (int c : cpus) mask.set(ValueLayout.JAVA_BYTE, c >> 3, (byte) (mask.get(ValueLayout.JAVA_BYTE, c >> 3) | (1 << (c & 7))));
            call(arena, "sched_setaffinity to CPUs " + cpus, state -> (int) SET_AFFINITY.invokeExact(state, 0, (long) CPU_SET_BYTES, mask));
        }
    }

    private static void setScheduler(int policy, int priority) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(ValueLayout.JAVA_INT);
            param.set(ValueLayout.JAVA_INT, 0, priority);
            call(arena, policy == SCHED_FIFO ? "SCHED_FIFO at priority " + priority : "scheduling policy " + policy,
                    state -> (int) SET_SCHEDULER.invokeExact(state, 0, policy, param));
        }
    }

    /** A libc call that returns -1 and sets errno on failure; the state segment receives errno. */
    private interface LibcCall {
        int call(MemorySegment errnoState) throws Throwable;
    }

    private static int call(Arena arena, String what, LibcCall c) {
        MemorySegment state = arena.allocate(CALL_STATE);
        int rc;
        try {
            rc = c.call(state);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(what + ": " + t, t);
        }
        check(rc, state, what);
        return rc;
    }

    private static void check(int rc, MemorySegment state, String what) {
        if (rc >= 0) return;
        int errno = (int) ERRNO.get(state, 0L);
        String why = switch (errno) {
            case EPERM -> "not permitted: real-time scheduling needs root, CAP_SYS_NICE or an RLIMIT_RTPRIO allowance (ulimit -r)";
            case EINVAL -> "invalid argument";
            case ESRCH -> "no such thread";
            default -> "errno " + errno;
        };
        if (errno == EINVAL) throw new IllegalArgumentException(what + ": " + why);
        throw new IllegalStateException(what + ": " + why);
    }
}
