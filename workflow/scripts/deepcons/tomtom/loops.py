"""The compiled loops (numba) of the comparison, ranking and q-values, which release the GIL.

The computation of :mod:`.reference`, one query at a time in compiled loops (numba,
jitted on first use by :func:`load`; plain Python until then), and those of :mod:`.ranking`
(``nb_rank_rows``) and :mod:`.qvalues` (MEME's Mersenne Twister draws and the bootstrap
q-values). A query costs about width x 22,000 target columns, so what counts is how many
passes go over those columns and whether they vectorise. Every column score enters as a "key" in [0, 2] that
orders the scores in reverse: ed and sandelin the squared distance d2, summed as MEME
does (scores -sqrt(d2) and 2 - d2), pearson 1 - r with r computed without MEME's rounding
(within 1e-12 of MEME's value, see :func:`.scores.scaled_pearson`). Then, per query column:

* pass 1: keys kept as float32 and in buckets of 1/1024 (a monotone function of the
  key); the median from the bucket histogram and the exact scores of the one to three
  buckets that hold the middle ranks; extremes from the float32 keys, redone exactly in
  the query where they sit so close to MEME's rounding of offset and scale that float32
  could not tell (as when a target column is the query's: a score of exactly 0).
* pass 2: the integer scores from the float32 keys, with an error bound: any whose float32
  value lies within the bound of a rounding boundary is redone with MEME's arithmetic in
  double precision, so every integer is MEME's. With them the score histogram and the
  diagonal prefix sums of the alignments.

Then the null model (upper tails of every run of query columns, each the tail of the run
one column shorter convolved with the new column's score distribution; direct, not FFT,
so tiny tails keep their relative precision) and every configuration of every target
entry from the prefix sums, the best one and its p-value.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from .constants import BINS, MEME_LN10, SIGNIFICANT_DIGITS

_NB_BUCKETS = 2049  # keys in [0, 2] (d2 of probabilities; pearson: 1 - r) in 1/1024 buckets
_NB_PAD = 4  # zeros kept around each stored tail (the convolution reads 3 past each end)
_NB_ED, _NB_SANDELIN, _NB_PEARSON = 0, 1, 2
DISTANCE_CODES = {"ed": _NB_ED, "sandelin": _NB_SANDELIN, "pearson": _NB_PEARSON}


def nb_round(x):
    """MEME's RND(x, 14) of one value (:func:`.scores.round_significant`)."""
    if x == 0.0:
        return 0.0
    magnitude = abs(x)
    power = float(math.ceil((SIGNIFICANT_DIGITS - 1) - math.log(magnitude) / MEME_LN10))
    factor = math.pow(10.0, power)  # C's pow, as MEME's macro (not repeated products)
    rounded = np.rint(factor * magnitude) / factor
    return rounded if x > 0 else -rounded


def nb_exact_score(dist, query, i, targets, target_ss, query_ss, j):
    """MEME's score of query column i against target column j.

    ``query`` (q, 8) and ``targets`` (8, n) hold probabilities in 0-3 (pearson: normalised
    centred values) and, for pearson, centred values in 4-7.
    """
    if dist == _NB_PEARSON:
        numerator = nb_round(query[i, 4] * targets[4, j])
        numerator = nb_round(numerator + query[i, 5] * targets[5, j])
        numerator = nb_round(numerator + query[i, 6] * targets[6, j])
        numerator = nb_round(numerator + query[i, 7] * targets[7, j])
        denominator = math.sqrt(query_ss[i] * target_ss[j])
        return numerator / denominator if denominator != 0 else 0.0
    d0 = query[i, 0] - targets[0, j]
    d1 = query[i, 1] - targets[1, j]
    d2 = query[i, 2] - targets[2, j]
    d3 = query[i, 3] - targets[3, j]
    d2sum = ((d0 * d0 + d1 * d1) + d2 * d2) + d3 * d3
    return 2.0 - d2sum if dist == _NB_SANDELIN else -math.sqrt(d2sum)


def nb_key_score(dist, key):
    """The score a key stands for (pearson: without MEME's rounding)."""
    if dist == _NB_ED:
        return -math.sqrt(key)
    if dist == _NB_SANDELIN:
        return 2.0 - key
    return 1.0 - key


def nb_keys(dist, a0, a1, a2, a3, t0, t1, t2, t3, keys32, bucket):
    """Keys of one query column against every target column, as float32 and buckets."""
    if dist == _NB_PEARSON:  # 1 - r: in [0, 2] as d2 is
        for j in range(t0.shape[0]):
            v = 1.0 - (((a0 * t0[j] + a1 * t1[j]) + a2 * t2[j]) + a3 * t3[j])
            keys32[j] = np.float32(v)
            bucket[j] = np.int16(min(max(v * 1024.0, 0.0), 2048.0))
    else:  # MEME's sum over letters of (q - t)^2, in letter order
        for j in range(t0.shape[0]):
            d0 = a0 - t0[j]
            d1 = a1 - t1[j]
            d2 = a2 - t2[j]
            d3 = a3 - t3[j]
            v = ((d0 * d0 + d1 * d1) + d2 * d2) + d3 * d3
            keys32[j] = np.float32(v)
            bucket[j] = np.int16(min(v * 1024.0, 2048.0))


def nb_key_extremes(keys32):
    """Smallest and largest float32 key (>= 0), through their bits (integer min and max
    vectorise where float ones do not)."""
    bits = keys32.view(np.int32)
    lo = bits[0]
    hi = bits[0]
    for j in range(bits.shape[0]):
        lo = min(lo, bits[j])
        hi = max(hi, bits[j])
    out = np.empty(2, np.int32)
    out[0] = max(lo, 0)  # a key rounded below 0 (pearson) counts as 0
    out[1] = max(hi, 0)
    values = out.view(np.float32)
    return float(values[0]), float(values[1])


def nb_median(dist, query, i, targets, target_ss, query_ss, bucket, r1, r2, scratch):
    """MEME's median score of query column i: the mean of the scores of key ranks r1 and r2
    (ascending keys, descending scores).

    The bucket histogram places the two ranks; only the keys in their buckets get exact
    scores (pearson: the neighbouring buckets too, as its keys are within 1e-12 of exact).
    """
    histogram, found, values = scratch
    n = bucket.shape[0]
    for k in range(histogram.shape[0]):
        histogram[k] = 0
    for j in range(n):
        histogram[np.uint64(bucket[j])] += 1  # unsigned: no negative-index wraparound
    below = 0
    first = 0
    while below + histogram[first] <= r1:
        below += histogram[first]
        first += 1
    last = first
    upto = below + histogram[first]
    while upto <= r2:
        last += 1
        upto += histogram[last]
    if dist == _NB_PEARSON:
        if first > 0:
            first -= 1
            below -= histogram[first]
        last = min(last + 1, histogram.shape[0] - 1)
    width = np.uint16(last - first)
    lowest = np.int16(first)
    count = 0
    for j in range(n):
        if np.uint16(bucket[j] - lowest) <= width:
            found[count] = j
            count += 1
    for k in range(count):
        values[k] = -nb_exact_score(dist, query, i, targets, target_ss, query_ss, found[k])
    chosen = values[:count]
    chosen.sort()  # minus scores, ascending: scores descending, as the keys
    low_score = -chosen[r2 - below]  # MEME's rank ``low`` of ascending scores
    high_score = -chosen[r1 - below]
    return (low_score + high_score) / 2.0


def nb_exact_extreme(dist, query, i, targets, target_ss, query_ss, keys32, key, largest):
    """Exact largest (or smallest) score of query column i, from the float32 keys near the
    smallest (or largest) key."""
    margin = abs(key) * 2.0**-22 + 1e-11  # twice the float32 and pearson errors
    best = -np.inf if largest else np.inf
    for j in range(keys32.shape[0]):
        k = keys32[j]
        if (largest and k <= key + margin) or (not largest and k >= key - margin):
            s = nb_exact_score(dist, query, i, targets, target_ss, query_ss, j)
            best = max(best, s) if largest else min(best, s)
    return best


def nb_float32_bins(dist, keys32, median, offset, scale, tolerance, bins):
    """Integer scores in float32, -1 where the float32 value is within ``tolerance`` of a
    rounding boundary (there only MEME's double precision decides)."""
    med32 = np.float32(median)
    off32 = np.float32(offset)
    scale32 = np.float32(scale)
    half = np.float32(0.5)
    two = np.float32(2.0)
    low = np.float32(tolerance)
    high = np.float32(1.0 - tolerance)
    n = keys32.shape[0]
    if dist == _NB_ED:
        for j in range(n):
            v = ((-np.sqrt(keys32[j]) - med32) - off32) * scale32 + half
            b = np.int32(v)
            f = v - np.float32(b)
            bins[j] = b - np.int32((f < low) | (f > high)) * (b + 1)
    elif dist == _NB_SANDELIN:
        for j in range(n):
            v = (((two - keys32[j]) - med32) - off32) * scale32 + half
            b = np.int32(v)
            f = v - np.float32(b)
            bins[j] = b - np.int32((f < low) | (f > high)) * (b + 1)
    else:
        one = np.float32(1.0)
        for j in range(n):
            v = (((one - keys32[j]) - med32) - off32) * scale32 + half
            b = np.int32(v)
            f = v - np.float32(b)
            bins[j] = b - np.int32((f < low) | (f > high)) * (b + 1)


def nb_settle_and_count(
    dist, query, i, targets, target_ss, query_ss, median, offset, scale, bins, counts
):
    """Redo the unsure (-1) integer scores with MEME's arithmetic; histogram the row.
    False if a score falls outside 0..BINS (it cannot: MEME's scaling maps the extremes to
    0 and BINS; checked, as the histogram is indexed without bounds checks)."""
    row_counts = counts[i]
    for k in range(row_counts.shape[0]):
        row_counts[k] = 0
    for j in range(bins.shape[0]):
        b = bins[j]
        if b < 0:
            s = nb_exact_score(dist, query, i, targets, target_ss, query_ss, j)
            b = np.int32(((s - median) - offset) * scale + 0.5)
            bins[j] = b
        index = np.uint64(b)  # unsigned: no negative-index wraparound
        if index > BINS:
            return False
        row_counts[index] += 1
    return True


def nb_diagonal_prefix(previous, current, bins):
    """One row of the diagonal prefix sums: current[j + 1] = previous[j] + bins[j]."""
    current[0] = 0
    for j in range(bins.shape[0]):
        current[j + 1] = previous[j] + bins[j]


def nb_convolve(padded, length, kernel, width, out):
    """out[x] = sum_l a[x - l] kernel[l], x < length + width - 1, where a is
    padded[_NB_PAD:_NB_PAD + length] with zeros in the three places on either side.

    Four kernel taps per pass over the output (each output value is read and written a
    quarter as often as tap by tap).
    """
    for k in range(length + width - 1):
        out[k] = 0.0
    tap = 0
    while tap + 4 <= width:
        f0 = kernel[tap]
        f1 = kernel[tap + 1]
        f2 = kernel[tap + 2]
        f3 = kernel[tap + 3]
        o = out[tap:]
        for m in range(length + 3):
            o[m] += ((padded[m + 4] * f0 + padded[m + 3] * f1) + padded[m + 2] * f2) + padded[
                m + 1
            ] * f3
        tap += 4
    while tap < width:
        f0 = kernel[tap]
        o = out[tap:]
        for m in range(length):
            o[m] += padded[m + 4] * f0
        tap += 1


def nb_window_tails(counts, q, n, tails, start, base, length):
    """Upper tails P(sum of the scores of query columns s..e >= base + k) of every run.

    Run w = s * q + e keeps its tail for k = 0..length[w] at tails[start[w]:] (the last one
    0; below base the tail is the total mass). The tail of run s..e is the tail of s..e-1
    convolved with column e's distribution, its part below base (the total) added apart.
    """
    inv_n = 1.0 / n
    low = np.empty(q, np.int64)
    high = np.empty(q, np.int64)
    pmf = np.zeros((q, counts.shape[1] + 1))
    suffix = np.zeros((q, counts.shape[1] + 1))
    for i in range(q):
        lo = -1
        hi = -1
        for k in range(counts.shape[1]):
            if counts[i, k] != 0:
                if lo < 0:
                    lo = k
                hi = k
        low[i] = lo
        high[i] = hi
        for k in range(hi - lo + 1):
            pmf[i, k] = counts[i, lo + k] * inv_n
        acc = 0.0
        for k in range(hi - lo, -1, -1):
            acc += pmf[i, k]
            suffix[i, k] = acc
    pos = _NB_PAD
    for s in range(q):
        b = 0
        t = 0
        for e in range(s, q):
            b += low[e]
            t += high[e]
            w = s * q + e
            start[w] = pos
            base[w] = b
            length[w] = t - b + 1
            pos += t - b + 1 + 2 * _NB_PAD
    for s in range(q):
        st = start[s * q + s]
        size = high[s] - low[s] + 1
        for k in range(1, _NB_PAD + 1):
            tails[st - k] = 0.0
        for k in range(size):
            tails[st + k] = suffix[s, k]
        for k in range(_NB_PAD):
            tails[st + size + k] = 0.0
        for e in range(s + 1, q):
            previous = st
            st = start[s * q + e]
            width = high[e] - low[e] + 1
            total = tails[previous]
            nb_convolve(tails[previous - _NB_PAD :], size, pmf[e], width, tails[st:])
            for x in range(width - 1):
                tails[st + x] += total * suffix[e, x + 1]
            size += width - 1
            for k in range(1, _NB_PAD + 1):
                tails[st - k] = 0.0
            for k in range(_NB_PAD):
                tails[st + size + k] = 0.0


def nb_alignments(
    prefix,
    q,
    col_start,
    lengths,
    complete,
    min_overlap,
    internal,
    n_orient,
    unit,
    tails,
    start,
    base,
    length,
    out_p,
    out_offset,
    out_overlap,
):
    """Best configuration of every target entry, its offset, overlap and raw p-value.

    Complete scores: the configuration with the highest complete score (then the largest
    overlap, then the first) and the p-value of the maximum of independent complete scores
    over all configurations and strands, 1 - prod(1 - S), accumulated as p + S (1 - p) in
    four interleaved chains. Incomplete scores: the configuration with the smallest tail
    (then the largest overlap, then the first) and that tail.
    """
    n_entries = lengths.shape[0]
    stride = prefix.shape[1]
    flat = prefix.ravel()
    widest = 0
    for t in range(n_entries):
        widest = max(widest, lengths[t])
    n_configs = q + widest - 1
    # per target width (row wd * n_configs): each configuration's overlap, where its run
    # ends and starts in the flat prefix sums, and where and how its tail is looked up
    size = (widest + 1) * n_configs
    c_overlap = np.empty(size, np.int64)
    c_end = np.empty(size, np.int64)
    c_begin = np.empty(size, np.int64)
    c_start = np.empty(size, np.int64)
    c_shift = np.empty(size, np.int64)
    c_length = np.empty(size, np.int64)
    c_key = np.empty(size, np.int64)
    c_first = np.zeros(widest + 1, np.int64)
    c_last = np.zeros(widest + 1, np.int64)
    seen = np.zeros(widest + 1, np.bool_)
    for t in range(n_entries):
        wd = lengths[t]
        if seen[wd]:
            continue
        seen[wd] = True
        if internal:
            c_first[wd] = min(q, wd)
            c_last[wd] = max(q, wd)
        elif min_overlap > 1:
            least = min(min(min_overlap, q), wd)
            c_first[wd] = least
            c_last[wd] = q + wd - least
        else:
            c_first[wd] = 1
            c_last[wd] = q + wd - 1
        for c in range(1, q + wd):
            if c <= q:
                qs = q - c
                ts = 0
            else:
                qs = 0
                ts = c - q
            ov = min(q - qs, wd - ts)
            w = qs * q + qs + ov - 1
            k = wd * n_configs + c - 1
            c_overlap[k] = ov
            c_end[k] = (qs + ov) * stride + ts + ov
            c_begin[k] = qs * stride + ts
            c_start[k] = start[w]
            c_length[k] = length[w]
            # complete scores: an unaligned query column counts as its median (score 0)
            c_shift[k] = ((q - ov) * unit if complete else 0) - base[w]
            # the best complete score is the largest key (score, overlap, -configuration):
            # (score << 24) + (overlap << 12) + (4095 - configuration index)
            c_key[k] = ((ov * unit) << 24) + (ov << 12) + (4095 - (c - 1))
    for t in range(n_entries):
        wd = lengths[t]
        c0 = col_start[t]
        row = wd * n_configs
        if complete:
            # highest score, then largest overlap, then first: the largest key
            key = np.int64(-(1 << 62))
            for k in range(row + c_first[wd] - 1, row + c_last[wd]):
                total = np.int64(flat[np.uint64(c0 + c_end[k])]) - np.int64(
                    flat[np.uint64(c0 + c_begin[k])]
                )
                key = max(key, (total << 24) + c_key[k])
            best = row + 4095 - (key & 4095)
            best_score = key >> 24
        else:
            best = -1
            best_tail = np.inf
            for k in range(row + c_first[wd] - 1, row + c_last[wd]):
                total = np.int64(flat[np.uint64(c0 + c_end[k])]) - np.int64(
                    flat[np.uint64(c0 + c_begin[k])]
                )
                p = min(max(total + c_shift[k], 0), c_length[k])
                tail = min(tails[np.uint64(c_start[k] + p)], 1.0)
                if tail < best_tail or (tail == best_tail and c_overlap[k] > c_overlap[best]):
                    best_tail = tail
                    best = k
        out_offset[t] = best - row + 1 - q
        out_overlap[t] = c_overlap[best]
        if not complete:
            out_p[t] = best_tail
            continue
        x = best_score - q * unit
        end = row + q + wd - 1
        g0 = 0.0
        g1 = 0.0
        g2 = 0.0
        g3 = 0.0
        k = row
        while k + 4 <= end:
            s0 = min(tails[np.uint64(c_start[k] + min(max(x + c_shift[k], 0), c_length[k]))], 1.0)
            k1 = k + 1
            s1 = min(
                tails[np.uint64(c_start[k1] + min(max(x + c_shift[k1], 0), c_length[k1]))], 1.0
            )
            k2 = k + 2
            s2 = min(
                tails[np.uint64(c_start[k2] + min(max(x + c_shift[k2], 0), c_length[k2]))], 1.0
            )
            k3 = k + 3
            s3 = min(
                tails[np.uint64(c_start[k3] + min(max(x + c_shift[k3], 0), c_length[k3]))], 1.0
            )
            g0 = g0 + s0 * (1.0 - g0)
            g1 = g1 + s1 * (1.0 - g1)
            g2 = g2 + s2 * (1.0 - g2)
            g3 = g3 + s3 * (1.0 - g3)
            k += 4
        while k < end:
            s0 = min(tails[np.uint64(c_start[k] + min(max(x + c_shift[k], 0), c_length[k]))], 1.0)
            g0 = g0 + s0 * (1.0 - g0)
            k += 1
        p = g0
        p = p + g1 * (1.0 - p)
        p = p + g2 * (1.0 - p)
        p = p + g3 * (1.0 - p)
        if n_orient == 2:  # the other strand: the same independent alignments again
            p = p + p * (1.0 - p)
        out_p[t] = p


def nb_scale_parameters(small, large):
    """MEME's offset ``floor(small)`` and scale ``floor(BINS / (large - offset))``."""
    if large == small:
        small = large - 1.0
    offset = float(math.floor(small))
    return offset, float(math.floor(BINS / (large - offset)))


def nb_query(
    dist,
    query,
    query_ss,
    targets,
    target_ss,
    col_start,
    lengths,
    complete,
    min_overlap,
    internal,
    n_orient,
    scratch,
    out_p,
    out_offset,
    out_overlap,
):
    """One query against every target entry (see the module docstring)."""
    keys32, bucket, histogram, found, values, prefix, bins, counts = scratch[:8]
    tails, start, base, length = scratch[8:]
    q = query.shape[0]
    n = targets.shape[1]
    t0 = targets[0]
    t1 = targets[1]
    t2 = targets[2]
    t3 = targets[3]
    medians = np.zeros(q)
    key_lo = np.empty(q)
    key_hi = np.empty(q)
    low = max(int(math.floor(0.5 * n)) - 1, 0)  # MEME's median ranks, ascending scores
    high = max(int(math.ceil(0.5 * n)) - 1, low)
    small = np.inf
    large = -np.inf
    for i in range(q):
        keys = keys32[i]
        nb_keys(
            dist, query[i, 0], query[i, 1], query[i, 2], query[i, 3], t0, t1, t2, t3, keys, bucket
        )
        lowest_key, highest_key = nb_key_extremes(keys)
        key_lo[i] = lowest_key
        key_hi[i] = highest_key
        if complete:
            medians[i] = nb_median(
                dist,
                query,
                i,
                targets,
                target_ss,
                query_ss,
                bucket,
                n - 1 - high,
                n - 1 - low,
                (histogram, found, values),
            )
        # scores fall as keys grow; shifted as MEME shifts each one (fl(s - median) is
        # monotone in s, so the shifted extremes are those of the shifted scores)
        small = min(small, nb_key_score(dist, key_hi[i]) - medians[i])
        large = max(large, nb_key_score(dist, key_lo[i]) - medians[i])
    # small and large (so offset and scale) from float32 keys are within 2^-22 + 1e-11 of
    # MEME's; where that could change a floor, or tell equal extremes apart, redo them
    error = 4e-7
    offset, scale = nb_scale_parameters(small, large)
    offset_low, scale_low = nb_scale_parameters(small - error, large - error)
    offset_high, scale_high = nb_scale_parameters(small + error, large + error)
    if (
        offset_low != offset_high
        or scale_low != scale
        or scale_high != scale
        or large - small <= 2 * error
    ):
        small = np.inf
        large = -np.inf
        for i in range(q):
            top = nb_exact_extreme(
                dist, query, i, targets, target_ss, query_ss, keys32[i], key_lo[i], True
            )
            bottom = nb_exact_extreme(
                dist, query, i, targets, target_ss, query_ss, keys32[i], key_hi[i], False
            )
            small = min(small, bottom - medians[i])
            large = max(large, top - medians[i])
        offset, scale = nb_scale_parameters(small, large)
    # |float32 - double| of ((s - median) - offset) * scale + 0.5 is below
    # (18 scale + 203) 2^-24 for |s|, |median| <= 2; twice that is the margin
    tolerance = 2.0 * (18.0 * scale + 203.0) * 2.0**-24 + 1e-7
    for j in range(n + 1):
        prefix[0, j] = 0
    for i in range(q):
        if tolerance < 0.05:
            nb_float32_bins(dist, keys32[i], medians[i], offset, scale, tolerance, bins)
        else:
            for j in range(n):
                bins[j] = -1
        if not nb_settle_and_count(
            dist, query, i, targets, target_ss, query_ss, medians[i], offset, scale, bins, counts
        ):
            return False
        nb_diagonal_prefix(prefix[i], prefix[i + 1], bins)
    nb_window_tails(counts[:q], q, n, tails, start, base, length)
    nb_alignments(
        prefix,
        q,
        col_start,
        lengths,
        complete,
        min_overlap,
        internal,
        n_orient,
        int(offset * scale),
        tails,
        start,
        base,
        length,
        out_p,
        out_offset,
        out_overlap,
    )
    return True


def _tail_storage(q: int) -> int:
    """Doubles :func:`nb_window_tails` may use for a width-q query."""
    return BINS * q * (q + 1) * (q + 2) // 6 + (1 + 2 * _NB_PAD) * q * (q + 1) // 2 + _NB_PAD


def scratch_space(q: int, n: int) -> tuple:
    """Scratch arrays of :func:`nb_queries` for queries of width <= q against n columns
    (allocated once per thread: fresh pages cost more than the work in them)."""
    return (
        np.empty((q, n), np.float32),  # keys of every query column
        np.empty(n, np.int16),  # a row's key buckets
        np.empty(_NB_BUCKETS, np.int64),  # their histogram
        np.empty(n, np.int64),  # median candidates
        np.empty(n),  # ... their scores
        np.empty((q + 1, n + 1), np.int16 if q * BINS < 1 << 15 else np.int32),  # prefix sums
        np.empty(n, np.int32),  # a row of integer scores
        np.empty((q, BINS + 1), np.int64),  # their histograms
        np.empty(_tail_storage(q)),  # tails of every run of query columns
        np.empty(q * q, np.int64),  # where each run's tail starts
        np.empty(q * q, np.int64),  # its smallest score
        np.empty(q * q, np.int64),  # its number of scores
    )


def nb_queries(
    dist,
    query_cols,
    query_ss,
    query_start,
    query_width,
    indices,
    targets,
    target_ss,
    col_start,
    lengths,
    complete,
    min_overlap,
    internal,
    n_orient,
    scratch,
    first_row,
    out_p,
    out_offset,
    out_overlap,
):
    """:func:`nb_query` for queries ``indices`` with the arrays of :func:`scratch_space`; query
    ``index`` fills row ``index - first_row`` of the outputs. Returns the first query that
    failed a consistency check, or -1."""
    for index in indices:
        first = query_start[index]
        last = first + query_width[index]
        ok = nb_query(
            dist,
            query_cols[first:last],
            query_ss[first:last],
            targets,
            target_ss,
            col_start,
            lengths,
            complete,
            min_overlap,
            internal,
            n_orient,
            scratch,
            out_p[index - first_row],
            out_offset[index - first_row],
            out_overlap[index - first_row],
        )
        if not ok:
            return index
    return -1


# MEME's Mersenne Twister (numpy's MT19937 generation, :class:`.qvalues.MemeRandom`'s stream)


def nb_mt_twist(key):
    """Regenerate the 624 words of the state (MT19937's genrand)."""
    for i in range(227):
        y = (np.int64(key[i]) & 0x80000000) | (np.int64(key[i + 1]) & 0x7FFFFFFF)
        key[i] = np.int64(key[i + 397]) ^ (y >> 1) ^ ((y & 1) * 0x9908B0DF)
    for i in range(227, 623):
        y = (np.int64(key[i]) & 0x80000000) | (np.int64(key[i + 1]) & 0x7FFFFFFF)
        key[i] = np.int64(key[i - 227]) ^ (y >> 1) ^ ((y & 1) * 0x9908B0DF)
    y = (np.int64(key[623]) & 0x80000000) | (np.int64(key[0]) & 0x7FFFFFFF)
    key[623] = np.int64(key[396]) ^ (y >> 1) ^ ((y & 1) * 0x9908B0DF)


def nb_mt_draws(key, position, skip, out):
    """Advance the generator (state ``key`` at ``position``) by ``skip`` words, then write
    the next len(out) words into ``out``; return the new position."""
    while skip > 0:
        if position == 624:
            nb_mt_twist(key)
            position = 0
        step = min(skip, 624 - position)
        position += step
        skip -= step
    done = 0
    n = out.shape[0]
    mask_b = np.uint32(0x9D2C5680)
    mask_c = np.uint32(0xEFC60000)
    while done < n:
        if position == 624:
            nb_mt_twist(key)
            position = 0
        step = min(n - done, 624 - position)
        words = key[position : position + step]
        tempered = out[done : done + step]
        for k in range(step):  # MT19937's tempering, in uint32 (vectorises)
            y = words[k]
            y ^= y >> np.uint32(11)
            y ^= (y << np.uint32(7)) & mask_b
            y ^= (y << np.uint32(15)) & mask_c
            y ^= y >> np.uint32(18)
            tempered[k] = y
        position += step
        done += step
    return position


def nb_qvalues(sorted_p, pi_zero, positions, out):
    """MEME's q-values (``compute_qvalues``) of the ascending p-values at ``positions``."""
    m = sorted_p.shape[0]
    q = np.empty(m)
    for k in range(m):
        q[k] = min(1.0, (pi_zero * sorted_p[k] * float(m)) / (k + 1.0))
    for k in range(m - 2, -1, -1):
        q[k] = min(q[k], q[k + 1])
    for c in range(positions.shape[0]):
        out[c] = q[positions[c]]


def nb_bootstrap_qvalues(sorted_p, key, position, lambdas, bootstraps, samples, positions, out):
    """:func:`.qvalues.meme_qvalues` of ``m`` > 100 ascending p-values, pi0 estimated from the
    generator's state ``key`` at ``position`` (not changed): :func:`.qvalues.estimate_pi_zero`
    operation for operation, the draws made and counted on the fly."""
    m = sorted_p.shape[0]
    n_lambda = lambdas.shape[0]
    first_at_least = np.empty(n_lambda, np.int64)
    index = 0
    for i in range(n_lambda):
        while index < m and sorted_p[index] < lambdas[i]:
            index += 1
        first_at_least[i] = index
    pi_zeroes = np.empty(n_lambda)
    minimum = np.inf
    for i in range(n_lambda):
        estimate = (m - first_at_least[i]) / ((1.0 - lambdas[i]) * m)
        pi_zeroes[i] = np.inf if estimate == 0 else estimate
        minimum = min(minimum, pi_zeroes[i])
    pi_zero = 1.0
    if minimum < 1.0:  # else every pi0(lambda), so the estimate, is at least 1
        reached = np.empty(m, np.int64)  # lambdas whose first p >= lambda is at or below
        i = 0
        for k in range(m):
            while i < n_lambda and first_at_least[i] <= k:
                i += 1
            reached[k] = i
        # each bootstrap's draws at once (vectorised: temper, combine, scale), then counted
        state = key.copy()
        words = np.empty(2 * samples, np.uint32)
        picks = np.empty(samples, np.int64)
        scale = float(m)
        counts = np.empty(n_lambda + 1, np.int64)
        errors = np.zeros(n_lambda)
        for _bootstrap in range(bootstraps):
            position = nb_mt_draws(state, position, 0, words)
            for k in range(samples):
                draw = (float(words[2 * k]) * 4294967296.0 + float(words[2 * k + 1])) * 2.0**-64
                picks[k] = min(np.int64(draw * scale), m - 1)
            for r in range(n_lambda + 1):
                counts[r] = 0
            for k in range(samples):
                counts[np.uint64(reached[np.uint64(picks[k])])] += 1
            at_least = 0
            for i in range(n_lambda - 1, -1, -1):
                at_least += counts[i + 1]
                estimate = at_least / ((1.0 - lambdas[i]) * samples)
                difference = (np.inf if estimate == 0 else estimate) - minimum
                errors[i] += difference * difference
        best = 0
        if not np.isnan(errors[0]):
            lowest = np.inf
            for i in range(n_lambda):
                e = np.inf if np.isnan(errors[i]) else errors[i]
                if e < lowest:
                    lowest = e
                    best = i
        pi_zero = min(max(pi_zeroes[best], 0.0), 1.0)
    nb_qvalues(sorted_p, pi_zero, positions, out)


def nb_bootstrap_rows(
    order,
    pvalue,
    lowest,
    positions,
    key,
    position,
    first,
    words_per_query,
    lambdas,
    bootstraps,
    samples,
    out_q,
):
    """:func:`nb_bootstrap_qvalues` of the rows (queries) whose ``lowest`` pi0(lambda) is
    below 1; row r is query ``first + r`` after the generator state (``key`` at
    ``position``, advanced in place)."""
    n_rows, m = order.shape
    sorted_p = np.empty(m)
    no_words = np.empty(0, np.uint32)
    done = 0
    for r in range(n_rows):
        if not lowest[r] < 1.0:
            continue
        position = nb_mt_draws(key, position, words_per_query * (first + r - done), no_words)
        done = first + r
        for k in range(m):
            sorted_p[k] = pvalue[r, np.uint64(order[r, k])]
        nb_bootstrap_qvalues(
            sorted_p, key, position, lambdas, bootstraps, samples, positions[r], out_q[r]
        )


def nb_rank_rows(
    order,
    pvalue,
    evalues,
    offset,
    overlap,
    n_orient,
    lambdas,
    estimate,
    out_entry,
    out_offset,
    out_p,
    out_e,
    out_q,
    out_overlap,
    out_position,
    lowest,
):
    """Per row (query): the q-values of its sorted p-values with pi0 = 1 (MEME's
    ``compute_qvalues``), the smallest pi0(lambda) of Storey's estimate (when it is at least
    1, so is the estimate) and, in that order, each target's first strand."""
    n_rows, m = order.shape
    kept = m // n_orient
    sorted_p = np.empty(m)
    q = np.empty(m)
    seen = np.zeros(kept, np.bool_)
    for r in range(n_rows):
        for k in range(m):
            sorted_p[k] = pvalue[r, np.uint64(order[r, k])]
        if estimate:
            low = np.inf
            first_at_least = 0
            for lam in lambdas:
                while first_at_least < m and sorted_p[first_at_least] < lam:
                    first_at_least += 1
                low = min(low, (m - first_at_least) / ((1.0 - lam) * m))
            lowest[r] = low
        for k in range(m):
            q[k] = min(1.0, (sorted_p[k] * float(m)) / (k + 1.0))
        for k in range(m - 2, -1, -1):
            q[k] = min(q[k], q[k + 1])
        for o in range(kept):
            seen[o] = False
        c = 0
        for k in range(m):
            e = np.uint64(order[r, k])  # unsigned: no negative-index wraparound
            o = e // np.uint64(n_orient)
            if not seen[o]:
                seen[o] = True
                out_entry[r, c] = e
                out_offset[r, c] = offset[r, e]
                out_p[r, c] = pvalue[r, e]
                out_e[r, c] = evalues[r, e]
                out_q[r, c] = q[k]
                out_overlap[r, c] = overlap[r, e]
                out_position[r, c] = k
                c += 1


# the convolution of the null model may fuse multiply-adds (its sums are not MEME's
# to the bit anyway, see nb_window_tails); nothing else may: scores must be MEME's
_NB_OPTIONS = {"nb_convolve": {"fastmath": {"contract"}}}
_NB_KERNELS = (
    "nb_round",
    "nb_exact_score",
    "nb_key_score",
    "nb_keys",
    "nb_key_extremes",
    "nb_median",
    "nb_exact_extreme",
    "nb_float32_bins",
    "nb_settle_and_count",
    "nb_diagonal_prefix",
    "nb_convolve",
    "nb_window_tails",
    "nb_alignments",
    "nb_scale_parameters",
    "nb_query",
    "nb_queries",
    "nb_mt_twist",
    "nb_mt_draws",
    "nb_qvalues",
    "nb_bootstrap_qvalues",
    "nb_bootstrap_rows",
    "nb_rank_rows",
)
_KERNEL_LOCK = threading.Lock()
_KERNELS_STATE: dict[str, bool] = {}  # "ready": whether numba compiled (or loaded) them


def load() -> bool:
    """Jit the compiled kernels on first use (numba is imported here, not with the module;
    the machine code is cached on disk next to this file). False without numba."""
    with _KERNEL_LOCK:
        if "ready" not in _KERNELS_STATE:
            try:
                import numba
            except ImportError:
                _KERNELS_STATE["ready"] = False
            else:
                module = globals()
                for name in _NB_KERNELS:
                    options = _NB_OPTIONS.get(name, {})
                    module[name] = numba.njit(nogil=True, cache=True, **options)(module[name])
                _KERNELS_STATE["ready"] = True
        return _KERNELS_STATE["ready"]


def loaded() -> bool:
    """Whether :func:`load` compiled (or loaded) the kernels."""
    return _KERNELS_STATE.get("ready", False)
