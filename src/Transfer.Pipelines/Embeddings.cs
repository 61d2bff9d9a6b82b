using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;
using Transfer.Caching;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.IO;

namespace Transfer.Pipelines;

/// <summary>
/// The backbone features of an image set, from <see cref="TransferPipeline.FeaturizeAsync"/>: one row per usable image,
/// with its name, label and content hash, exportable to Parquet or CSV for other tools (pandas, Spark, Excel).
/// </summary>
public sealed class Embeddings
{
    internal Embeddings(FeaturizationResult result, IReadOnlyList<string> contentHashes, string backbone, string featureSpace, IReadOnlyList<SkippedImage> skipped, CacheStatistics? cacheStatistics, string? cacheDirectory)
    {
        Features = result.Features;
        Images = result.Images;
        Classes = result.Classes;
        ContentHashes = contentHashes;
        Backbone = backbone;
        FeatureSpace = featureSpace;
        Skipped = skipped;
        CacheHits = result.CacheHits;
        Computed = result.Computed;
        CacheStatistics = cacheStatistics;
        CacheDirectory = cacheDirectory;
    }

    /// <summary>Gets the feature matrix (row <c>i</c> is <see cref="Images"/>[i]; labels are class indices into <see cref="Classes"/>).</summary>
    public FeatureMatrix Features { get; }

    /// <summary>Gets the images featurized, in row order.</summary>
    public IReadOnlyList<ImageEntry> Images { get; }

    /// <summary>Gets the class names.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Gets each row's SHA-256 of the image bytes (lower-case hex): the key the bottleneck cache finds its vector by.</summary>
    public IReadOnlyList<string> ContentHashes { get; }

    /// <summary>Gets the backbone's name.</summary>
    public string Backbone { get; }

    /// <summary>Gets the feature space key (backbone fingerprint and preprocessing); vectors of different keys do not mix.</summary>
    public string FeatureSpace { get; }

    /// <summary>Gets the images left out, with reasons.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <summary>Gets how many vectors came from the bottleneck cache.</summary>
    public int CacheHits { get; }

    /// <summary>Gets how many vectors the backbone computed.</summary>
    public int Computed { get; }

    /// <summary>Gets the cache's counters, or <see langword="null"/> without a cache.</summary>
    public CacheStatistics? CacheStatistics { get; }

    /// <summary>Gets the cache folder (full path), or <see langword="null"/> without a cache.</summary>
    public string? CacheDirectory { get; }

    /// <summary>
    /// Writes a Parquet file: columns <c>name</c>, <c>label</c>, <c>sha256</c> (text) and <c>f0</c> … <c>f{n−1}</c>
    /// (float), one row per image; footer metadata <c>transfer.backbone</c> and <c>transfer.feature_space</c>.
    /// <c>pandas.read_parquet(path)</c> reads it as a data frame. Written to a temporary file and renamed into place.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void SaveParquet(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        WriteAtomically(path, stream => Task.Run(() => WriteParquetAsync(stream)).GetAwaiter().GetResult());
    }

    /// <summary>Writes a CSV file (RFC 4180, invariant culture): header <c>name,label,sha256,f0,…</c>, one row per image.</summary>
    /// <param name="path">The file to write.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void SaveCsv(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        WriteAtomically(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            writer.Write("name,label,sha256");
            for (int j = 0; j < Features.Dimension; j++)
            {
                writer.Write(string.Create(CultureInfo.InvariantCulture, $",f{j}"));
            }

            writer.Write("\r\n");
            for (int i = 0; i < Features.Count; i++)
            {
                writer.Write(Quote(Images[i].Name));
                writer.Write(',');
                writer.Write(Quote(Classes[Features.Labels[i]]));
                writer.Write(',');
                writer.Write(ContentHashes[i]);
                foreach (float v in Features.Row(i))
                {
                    writer.Write(',');
                    writer.Write(v.ToString("R", CultureInfo.InvariantCulture));
                }

                writer.Write("\r\n");
            }
        });
    }

    private async Task WriteParquetAsync(Stream stream)
    {
        int n = Features.Count;
        int d = Features.Dimension;
        var name = new DataField<string>("name");
        var label = new DataField<string>("label");
        var hash = new DataField<string>("sha256");
        var fields = new List<Field> { name, label, hash };
        var featureFields = new DataField<float>[d];
        for (int j = 0; j < d; j++)
        {
            featureFields[j] = new DataField<float>(string.Create(CultureInfo.InvariantCulture, $"f{j}"));
            fields.Add(featureFields[j]);
        }

        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream).ConfigureAwait(false);
        writer.CustomMetadata = new Dictionary<string, string>
        {
            ["transfer.backbone"] = Backbone,
            ["transfer.feature_space"] = FeatureSpace,
        };
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(name, Images.Take(n).Select(e => e.Name).ToArray(), null).ConfigureAwait(false);
        await group.WriteAsync(label, Enumerable.Range(0, n).Select(i => Classes[Features.Labels[i]]).ToArray(), null).ConfigureAwait(false);
        await group.WriteAsync(hash, ContentHashes.Take(n).ToArray(), null).ConfigureAwait(false);
        var column = new float[n];
        for (int j = 0; j < d; j++)
        {
            for (int i = 0; i < n; i++)
            {
                column[i] = Features.Values[(i * d) + j];
            }

            await group.WriteAsync<float>(featureFields[j], column.AsMemory(), null, null, default).ConfigureAwait(false);
        }
    }

    private static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;

    private static void WriteAtomically(string path, Action<Stream> write) => AtomicFile.Write(path, write);
}
