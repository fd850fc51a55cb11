package org.mrine.data;

import java.util.List;
import org.mrine.model.Likelihood;

/**
 * One sampled series of a recording, before alignment: values [S, C] row-major (S samples, C
 * channels) at {@link SampleTimes}. A NaN anywhere in a sample row marks that sample missing.
 *
 * @param name         what the dataset will call it (modality name, or behavior name prefix)
 * @param source       where it came from, for messages and the dataset's info (e.g. an NWB path)
 * @param role         a neural modality or behavior
 * @param likelihood   the observation model of a neural modality (ignored for behavior)
 * @param counts       values are event counts per sample: summed into bins, never averaged
 * @param channelNames one name per channel (behavior dimension names)
 */
public record Series(String name, String source, Role role, Likelihood likelihood, boolean counts, int channels,
                     float[] values, SampleTimes times, List<String> channelNames, String unit) {

    public enum Role { NEURAL, BEHAVIOR }

    public Series {
        channelNames = List.copyOf(channelNames);
        if (channels <= 0) throw new IllegalArgumentException(source + ": a series needs at least one channel");
        if (values.length != (long) times.count() * channels) {
            throw new IllegalArgumentException(source + ": " + values.length + " values for " + times.count()
                    + " samples of " + channels + " channels");
        }
        if (channelNames.size() != channels) {
            throw new IllegalArgumentException(source + ": " + channelNames.size() + " channel names for " + channels + " channels");
        }
    }

    public int samples() {
        return times.count();
    }

    /** Channel names {@code base_x, base_y, base_z} for up to three channels, else {@code base_0, base_1, ...}. */
    public static List<String> axisNames(String base, int channels) {
        String[] xyz = {"x", "y", "z"};
        String[] out = new String[channels];
        for (int c = 0; c < channels; c++) out[c] = channels == 1 ? base : base + "_" + (channels <= 3 ? xyz[c] : String.valueOf(c));
        return List.of(out);
    }
}
