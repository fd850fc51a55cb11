#!/usr/bin/python3
"""Writes the small NWB-shaped HDF5 files (and one MATLAB v7.3 file) the data tests read.

Run with Debian's h5py (apt-get install python3-h5py python3-numpy), from the repository root:

    /usr/bin/python3 test/resources/make_test_nwb.py

The files mimic what pynwb writes (neurodata_type/namespace attributes, DynamicTables with
ragged VectorIndex columns, object references), without pynwb. Every value is a formula of its
index so the tests can compute the expected binned numbers independently:

  * spike k of unit u is at  u * 0.0013 + k * period(u),  period(u) = 0.05 + 0.01 * u  (seconds)
  * LFP / calcium sample i of channel c holds  c * 1000 + i
  * position sample i holds  (0.5 * t, -0.25 * t)  at its time t, so the velocity is (0.5, -0.25)

Keep the files small (a few tens of KB): they are committed.
"""
import os

import h5py
import numpy as np

OUT = os.path.dirname(os.path.abspath(__file__))
STR = h5py.string_dtype()


def spike_times(n_units, duration):
    per_unit = []
    for u in range(n_units):
        period = 0.05 + 0.01 * u
        t = u * 0.0013 + np.arange(0, duration, period)
        per_unit.append(t[t < duration])
    return per_unit


def nwb_root(f, identifier):
    f.attrs["namespace"] = "core"
    f.attrs["neurodata_type"] = "NWBFile"
    f.attrs["nwb_version"] = "2.5.0"
    f.attrs["object_id"] = identifier + "-root"
    f.create_dataset("identifier", data=identifier, dtype=STR)
    f.create_dataset("session_description", data="mrine test file " + identifier, dtype=STR)
    f.create_dataset("session_start_time", data="2024-01-01T00:00:00+00:00", dtype=STR)
    for g in ("acquisition", "analysis", "processing", "stimulus", "general", "intervals"):
        f.require_group(g)


def typed(node, neurodata_type, namespace="core", **attrs):
    node.attrs["namespace"] = namespace
    node.attrs["neurodata_type"] = neurodata_type
    for k, v in attrs.items():
        node.attrs[k] = v
    return node


def electrodes(f, n):
    g = typed(f.require_group("general/extracellular_ephys/electrodes"), "DynamicTable", "hdmf-common",
              colnames=np.array(["location"], dtype=object), description="electrodes")
    g.create_dataset("id", data=np.arange(n, dtype=np.int64))
    typed(g.create_dataset("location", data=np.array(["CA1"] * n, dtype=object), dtype=STR), "VectorData", "hdmf-common")
    return g


def units(f, per_unit, obs_intervals=None, compress=True):
    g = typed(f.create_group("units"), "Units", colnames=np.array(["spike_times"], dtype=object),
              description="units for the tests")
    flat = np.concatenate(per_unit) if per_unit else np.zeros(0)
    index = np.cumsum([len(t) for t in per_unit]).astype(np.uint32)
    g.create_dataset("id", data=np.arange(len(per_unit), dtype=np.int64) + 10)
    kw = dict(chunks=True, compression="gzip", shuffle=True) if compress and len(flat) else {}
    st = typed(g.create_dataset("spike_times", data=flat, **kw), "VectorData", "hdmf-common",
               description="the spike times for each unit")
    typed(g.create_dataset("spike_times_index", data=index), "VectorIndex", "hdmf-common", target=st.ref)
    if obs_intervals is not None:
        flat_iv = np.array([iv for unit in obs_intervals for iv in unit], dtype=np.float64).reshape(-1, 2)
        iv_index = np.cumsum([len(u) for u in obs_intervals]).astype(np.uint32)
        oi = typed(g.create_dataset("obs_intervals", data=flat_iv), "VectorData", "hdmf-common")
        typed(g.create_dataset("obs_intervals_index", data=iv_index), "VectorIndex", "hdmf-common", target=oi.ref)
        g.attrs["colnames"] = np.array(["spike_times", "obs_intervals"], dtype=object)
    return g


def time_series(parent, name, neurodata_type, data, rate=None, start=0.0, timestamps=None, unit="volts",
                conversion=1.0, compress=False, **extra):
    g = typed(parent.create_group(name), neurodata_type, description=name, comments="")
    kw = dict(chunks=True, compression="gzip") if compress else {}
    d = g.create_dataset("data", data=data, **kw)
    d.attrs["unit"] = unit
    d.attrs["conversion"] = conversion
    d.attrs["resolution"] = -1.0
    if timestamps is not None:
        ts = g.create_dataset("timestamps", data=timestamps)
        ts.attrs["interval"] = 1
        ts.attrs["unit"] = "seconds"
    else:
        st = g.create_dataset("starting_time", data=start)
        st.attrs["rate"] = rate
        st.attrs["unit"] = "seconds"
    for k, v in extra.items():
        g.attrs[k] = v
    return g


def trials(f, starts, stops, conditions):
    g = typed(f.create_group("intervals/trials"), "TimeIntervals",
              colnames=np.array(["start_time", "stop_time", "condition"], dtype=object), description="trials")
    g.create_dataset("id", data=np.arange(len(starts), dtype=np.int64))
    typed(g.create_dataset("start_time", data=np.asarray(starts, dtype=np.float64)), "VectorData", "hdmf-common")
    typed(g.create_dataset("stop_time", data=np.asarray(stops, dtype=np.float64)), "VectorData", "hdmf-common")
    typed(g.create_dataset("condition", data=np.array(conditions, dtype=object), dtype=STR), "VectorData", "hdmf-common")


def index_values(samples, channels, dtype):
    i = np.arange(samples)[:, None]
    c = np.arange(channels)[None, :]
    return (c * 1000 + i).astype(dtype)


def spikes_lfp_behavior():
    """10 s: 6 units; LFP 4 channels at 50 Hz (int16, conversion 1e-3) in processing/ecephys/LFP;
    position at 100 Hz (rate); 4 trials of 1.5 to 2 s."""
    with h5py.File(os.path.join(OUT, "nwb_spikes_lfp_behavior.nwb"), "w") as f:
        nwb_root(f, "spikes-lfp-behavior")
        electrodes(f, 4)
        units(f, spike_times(6, 10.0))
        ecephys = typed(f.create_group("processing/ecephys"), "ProcessingModule", description="ecephys")
        lfp = typed(ecephys.create_group("LFP"), "LFP")
        es = time_series(lfp, "LFP", "ElectricalSeries", index_values(500, 4, np.int16), rate=50.0,
                         conversion=1e-3, compress=True)
        region = typed(es.create_dataset("electrodes", data=np.arange(4, dtype=np.int64)), "DynamicTableRegion",
                       "hdmf-common", description="electrodes")
        region.attrs["table"] = f["general/extracellular_ephys/electrodes"].ref
        behavior = typed(f.create_group("processing/behavior"), "ProcessingModule", description="behavior")
        pos = typed(behavior.create_group("Position"), "Position")
        t = np.arange(1000) / 100.0
        time_series(pos, "position", "SpatialSeries", np.stack([0.5 * t, -0.25 * t], axis=1), rate=100.0,
                    unit="meters", reference_frame="arena corner")
        trials(f, [1.0, 3.0, 5.5, 8.0], [3.0, 5.0, 7.0, 9.5], ["a", "b", "a", "b"])


def calcium():
    """12 s: 4 units binned at 120 Hz in the tests; 3 ROIs of fluorescence at 30 Hz starting at 0;
    running speed (TimeSeries) at 30 Hz in processing/behavior; 3 trials of 3 s."""
    with h5py.File(os.path.join(OUT, "nwb_calcium.nwb"), "w") as f:
        nwb_root(f, "calcium")
        units(f, spike_times(4, 12.0))
        ophys = typed(f.create_group("processing/ophys"), "ProcessingModule", description="ophys")
        seg = typed(ophys.create_group("ImageSegmentation/PlaneSegmentation"), "PlaneSegmentation",
                    colnames=np.array(["image_mask"], dtype=object), description="rois")
        seg.create_dataset("id", data=np.arange(3, dtype=np.int64))
        fl = typed(ophys.create_group("Fluorescence"), "Fluorescence")
        rrs = time_series(fl, "RoiResponseSeries", "RoiResponseSeries",
                          index_values(360, 3, np.float32), rate=30.0, unit="n.a.")
        rois = typed(rrs.create_dataset("rois", data=np.arange(3, dtype=np.int64)), "DynamicTableRegion", "hdmf-common",
                     description="rois")
        rois.attrs["table"] = seg.ref
        behavior = typed(f.create_group("processing/behavior"), "ProcessingModule", description="behavior")
        bts = typed(behavior.create_group("BehavioralTimeSeries"), "BehavioralTimeSeries")
        t = np.arange(360) / 30.0
        time_series(bts, "running_speed", "TimeSeries", (0.1 * np.arange(360)).astype(np.float64), rate=30.0,
                    unit="m/s")
        trials(f, [0.0, 4.0, 8.0], [3.0, 7.0, 11.0], ["x", "y", "x"])


def timestamps_gaps():
    """6 s with a pause from 2 s to 3 s: LFP (2 channels, channel_conversion 1 and 2) with explicit
    timestamps at 100 Hz that skip the pause; 3 units observed over [0, 2) and [3, 6) (obs_intervals); position with timestamps at
    50 Hz that also skip it; no trials table (fixed windows in the tests)."""
    with h5py.File(os.path.join(OUT, "nwb_timestamps_gaps.nwb"), "w") as f:
        nwb_root(f, "timestamps-gaps")
        electrodes(f, 2)
        st = [t[(t < 2.0) | (t >= 3.0)] for t in spike_times(3, 6.0)]
        units(f, st, obs_intervals=[[(0.0, 2.0), (3.0, 6.0)]] * 3, compress=False)
        ts = np.concatenate([np.arange(0, 200), np.arange(300, 600)]) / 100.0
        lfp_group = typed(f.create_group("acquisition/lfp_container"), "LFP")
        es = time_series(lfp_group, "ElectricalSeries", "ElectricalSeries", index_values(len(ts), 2, np.float64),
                         timestamps=ts)
        es.create_dataset("channel_conversion", data=np.array([1.0, 2.0]))  # channel 1 in units of 2 volts
        behavior = typed(f.create_group("processing/behavior"), "ProcessingModule", description="behavior")
        pos = typed(behavior.create_group("Position"), "Position")
        tb = np.concatenate([np.arange(0, 100), np.arange(150, 300)]) / 50.0
        time_series(pos, "position", "SpatialSeries", np.stack([0.5 * tb, -0.25 * tb], axis=1), timestamps=tb,
                    unit="meters")


def bad_files():
    """One defect each, for the bad-input suite."""
    def base(name):
        f = h5py.File(os.path.join(OUT, name), "w")
        nwb_root(f, name)
        return f

    with base("bad_nonmonotonic.nwb") as f:  # timestamps go back in time at sample 5
        units(f, spike_times(2, 1.0), compress=False)
        ts = np.arange(20) / 20.0
        ts[5] = 0.1
        time_series(typed(f.create_group("processing/ecephys/LFP"), "LFP"), "LFP", "ElectricalSeries",
                    np.zeros((20, 2)), timestamps=ts)
    with base("bad_mismatch.nwb") as f:  # 20 samples of data, 15 timestamps
        units(f, spike_times(2, 1.0), compress=False)
        time_series(typed(f.create_group("processing/ecephys/LFP"), "LFP"), "LFP", "ElectricalSeries",
                    np.zeros((20, 2)), timestamps=np.arange(15) / 20.0)
    with base("bad_dtype.nwb") as f:  # spike times stored as strings
        g = typed(f.create_group("units"), "Units", colnames=np.array(["spike_times"], dtype=object), description="")
        g.create_dataset("id", data=np.arange(2, dtype=np.int64))
        st = g.create_dataset("spike_times", data=np.array(["0.1", "0.2", "0.3"], dtype=object), dtype=STR)
        g.create_dataset("spike_times_index", data=np.array([1, 3], dtype=np.uint32)).attrs["target"] = st.ref
    with base("bad_empty_units.nwb") as f:  # a units table without units
        units(f, [], compress=False)
    with base("bad_no_data.nwb") as f:  # neither units nor any time series
        pass


def mat73():
    """A MATLAB v7.3 file (HDF5 with a 512-byte MATLAB header): spikes 400x5 uint8, vel 400x2 double with
    every other row NaN, and a struct 'meta' holding bin_ms; MATLAB stores matrices column-major, so the
    HDF5 datasets are the transposes."""
    path = os.path.join(OUT, "mat73_small.mat")
    with h5py.File(path, "w", userblock_size=512) as f:
        spikes = (np.arange(400)[:, None] * (np.arange(5)[None, :] + 1)) % 3
        f.create_dataset("spikes", data=spikes.astype(np.uint8).T).attrs["MATLAB_class"] = np.bytes_("uint8")
        vel = np.stack([np.arange(400) * 1.0, -np.arange(400) * 1.0], axis=1)
        vel[1::2, :] = np.nan
        f.create_dataset("vel", data=vel.T).attrs["MATLAB_class"] = np.bytes_("double")
        meta = f.create_group("meta")
        meta.attrs["MATLAB_class"] = np.bytes_("struct")
        meta.create_dataset("bin_ms", data=np.array([[20.0]])).attrs["MATLAB_class"] = np.bytes_("double")
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
    with open(path, "r+b") as f:
        block = header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
        f.write(block.ljust(512, b"\x00"))


def numpy_files():
    """NumPy archives written by numpy itself: a recording (savez_compressed, deflated) with the field
    arriving as NaN rows (a sample every 5th row) and the behavior stored with time on the columns; and
    one array of every supported dtype (savez, stored), including big-endian, Fortran order, 0-d, empty."""
    rows = np.arange(300)
    spikes = (((rows[:, None] * (np.arange(4)[None, :] + 2)) % 5 == 0) * (np.arange(4) + 1)).astype(np.int16)
    lfp = index_values(300, 3, np.float32)
    lfp[rows % 5 != 0, :] = np.nan
    vel = np.stack([np.sin(rows / 10.0), np.cos(rows / 10.0)])  # 2 x 300: time on the columns
    trials = np.array([[0.0, 2.0], [2.0, 4.0], [4.0, 6.0]])
    np.savez_compressed(os.path.join(OUT, "numpy_recording.npz"), spikes=spikes, lfp=lfp, vel=vel, bin_ms=np.float64(20.0),
                        trials=trials)
    base = np.array([[1, 2, 3], [4, 5, 6]])
    arrays = {t: base.astype(t) for t in ("<f2", "<f4", "<f8", "i1", "<i2", "<i4", "<i8", "u1", "<u2", "<u4", "<u8")}
    arrays = {"x" + k.strip("<"): v for k, v in arrays.items()}
    arrays["bool"] = base % 2 == 1
    arrays["big_f8"] = base.astype(">f8")
    arrays["big_i4"] = base.astype(">i4")
    arrays["fortran"] = np.asfortranarray(base.astype(np.float64))
    arrays["scalar"] = np.float64(2.5)
    arrays["empty"] = np.zeros((0, 3))
    arrays["u8max"] = np.array([2**64 - 1, 2**63], dtype=np.uint64)
    np.savez(os.path.join(OUT, "numpy_dtypes.npz"), **arrays)


if __name__ == "__main__":
    spikes_lfp_behavior()
    calcium()
    timestamps_gaps()
    bad_files()
    mat73()
    numpy_files()
    for name in sorted(os.listdir(OUT)):
        if name.endswith((".nwb", ".mat", ".npz")):
            print(f"{name:32s} {os.path.getsize(os.path.join(OUT, name)):8d} bytes")
