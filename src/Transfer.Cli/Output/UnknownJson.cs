using System.Globalization;
using Transfer.Models;

namespace Transfer.Cli.Output;

/// <summary>The stored "unknown" threshold in <c>train --json</c>: the score, the threshold, the rate asked for and the rate measured on the held-out images.</summary>
internal sealed record UnknownJson(string Score, float Threshold, double FalseRejectionRate, double MeasuredFalseRejectionRate, int HeldOutImages, string Source)
{
    public static UnknownJson? From(UnknownThreshold? u) =>
        u is null ? null : new(u.Score, u.Threshold, u.FalseRejectionRate, u.MeasuredFalseRejectionRate, u.HeldOutImages, u.Source);

    /// <summary>One line for the text output.</summary>
    public static string Describe(UnknownThreshold? u) => u is null
        ? "No 'unknown' threshold stored (no held-out predictions to choose it on)."
        : string.Create(CultureInfo.InvariantCulture, $"'unknown' threshold (predict --unknown): highest class probability below {u.Threshold:F3}, rejecting {u.MeasuredFalseRejectionRate:P1} of {u.HeldOutImages} held-out images ({u.Source}; --unknown-rate {u.FalseRejectionRate:0.###}).");
}

/// <summary><c>add-class --json</c>: the new model, the class, how many images it was made from, the method, timings and skipped images.</summary>
internal sealed record AddClassJson(string Model, string Out, string Label, IReadOnlyList<string> Classes, int Images, string Method, int CacheHits, int Computed, double Seconds, IReadOnlyList<SkippedJson> Skipped);
