package org.mrine.backend.cpu;

/**
 * A training step for {@link CpuCalibration} to time at each thread count. The layers above the
 * backend build it ({@link CpuCalibration#timeStepsWith}): the backend knows no model.
 */
public interface StepProbe extends AutoCloseable {
    /** Runs one training step (loss and every gradient) under the tuning in force. */
    void step();

    /** The step's trials times its steps: ms per sample-step = the step's time / this. */
    int sampleSteps();

    /** What the step set up to run: its backend and model. */
    @Override
    void close();
}
