using System.Security.Cryptography;
using System.Text;

namespace Transfer.Images;

/// <summary>
/// The content-based hash of a dataset, shared by <see cref="DatasetAudit"/> and the run manifest
/// (<see cref="Reporting.RunManifest.ComputeDatasetHash"/>), so both give the same hash for the same images.
/// </summary>
internal static class DatasetHash
{
    /// <summary>Hashes the images of a training set and, optionally, a test set; reads every image.</summary>
    /// <exception cref="InvalidImageException">An image file cannot be read.</exception>
    public static string Compute(IEnumerable<ImageEntry> train, IEnumerable<ImageEntry>? test) =>
        Combine(
            train.Select(e => (DatasetPart.Train, e.Label, ContentHash.Compute(e.ReadBytes().Span)))
                .Concat((test ?? []).Select(e => (DatasetPart.Test, e.Label, ContentHash.Compute(e.ReadBytes().Span)))));

    /// <summary>The dataset hash of images whose content hashes are known (<see cref="DatasetAudit"/> computes them once for both uses).</summary>
    public static string Combine(IEnumerable<(DatasetPart Part, string Label, ContentHash Hash)> images)
    {
        // Sorted lines of set, label and content: renaming or moving files keeps the hash, any other change moves it.
        var lines = images.Select(i => $"{(i.Part == DatasetPart.Train ? "train" : "test")}\t{i.Label}\t{i.Hash}").ToList();
        lines.Sort(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }
}
