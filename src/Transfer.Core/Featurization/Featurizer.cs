using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.ML.OnnxRuntime;
using Transfer.Backbones;
using Transfer.Images;

namespace Transfer.Featurization;

/// <summary>
/// Turns images into backbone features: reads and decodes in parallel while ONNX Runtime runs the previous batch,
/// reusing its buffers, so memory stays bounded however many images there are. Thread-safe; owns an ONNX Runtime
/// session, so dispose it.
/// </summary>
public sealed class Featurizer : IDisposable
{
    private readonly BackboneSession _session;
    private readonly int _pixelsPerImage;
    private bool _disposed;

    /// <summary>Creates a featurizer for a backbone.</summary>
    /// <param name="backbone">The backbone.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid or the model does not match its descriptor.</exception>
    public Featurizer(Backbone backbone, FeaturizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        Options = options ?? new FeaturizerOptions();
        Options.Validate();
        Backbone = backbone;
        _pixelsPerImage = 4 * backbone.Width * backbone.Height;
        ModelBytes = backbone.BuildFeaturizerModel(Options.Preprocessing);
        _session = new BackboneSession(ModelBytes, backbone.Width, backbone.Height, backbone.FeatureLength, Options.IntraOpThreads);
    }

    /// <summary>Gets the backbone.</summary>
    public Backbone Backbone { get; }

    /// <summary>Gets the options.</summary>
    public FeaturizerOptions Options { get; }

    /// <summary>Gets the number of features per image.</summary>
    public int FeatureLength => Backbone.FeatureLength;

    /// <summary>Gets the key of this featurizer's feature space (backbone fingerprint and preprocessing): vectors from featurizers with different keys never mix.</summary>
    public string FeatureSpaceKey => Backbone.FeatureSpaceKey(Options.Preprocessing);

    /// <summary>Gets the ONNX graph this featurizer runs (pixels → features).</summary>
    internal byte[] ModelBytes { get; }

    /// <summary>
    /// Featurizes an image set into a <see cref="FeatureMatrix"/> whose labels are the set's class indices.
    /// </summary>
    /// <param name="images">The images.</param>
    /// <param name="store">A feature store (bottleneck cache) to read hits from and write new vectors to, or <see langword="null"/>.</param>
    /// <param name="progress">Receives progress about once per batch.</param>
    /// <param name="cancellationToken">Stops the run (ONNX Runtime is interrupted mid-batch).</param>
    /// <returns>The features, the images kept, and the ones skipped.</returns>
    /// <exception cref="InvalidImageException">An image is unusable and the policy is <see cref="BadImagePolicy.Fail"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async Task<FeaturizationResult> FeaturizeAsync(ImageSet images, IFeatureStore? store = null, IProgress<FeaturizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        int n = images.Count;
        int d = FeatureLength;
        var values = new float[(long)n * d];
        var ok = new bool[n];
        var stats = await FeaturizeAsync(
            images.Entries,
            (index, features) =>
            {
                features.CopyTo(values.AsSpan(index * d, d));
                ok[index] = true;
            },
            store,
            progress,
            cancellationToken).ConfigureAwait(false);

        var classIndex = images.ClassIndices();
        var kept = new List<ImageEntry>(n);
        var labels = new List<int>(n);
        int row = 0;
        for (int i = 0; i < n; i++)
        {
            if (!ok[i])
            {
                continue;
            }

            if (row != i)
            {
                values.AsSpan(i * d, d).CopyTo(values.AsSpan(row * d, d));
            }

            kept.Add(images.Entries[i]);
            labels.Add(classIndex[i]);
            row++;
        }

        var matrix = new FeatureMatrix(values, row, d, [.. labels], Math.Max(1, images.Classes.Count));
        return new FeaturizationResult(matrix, kept, images.Classes, stats.Skipped, stats.CacheHits, stats.Computed, stats.Elapsed);
    }

    /// <summary>
    /// Streams features: <paramref name="sink"/> is called once per usable image (from one thread at a time, not
    /// necessarily in index order). Only a few batches are in memory at once.
    /// </summary>
    /// <param name="images">The images.</param>
    /// <param name="sink">Receives each image's features.</param>
    /// <param name="store">A feature store (bottleneck cache), or <see langword="null"/>.</param>
    /// <param name="progress">Receives progress about once per batch.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>Counts and the skipped images.</returns>
    /// <exception cref="InvalidImageException">An image is unusable and the policy is <see cref="BadImagePolicy.Fail"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async Task<FeaturizationSummary> FeaturizeAsync(IReadOnlyList<ImageEntry> images, FeatureSink sink, IFeatureStore? store = null, IProgress<FeaturizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var clock = Stopwatch.StartNew();
        int batchSize = Options.BatchSize;
        int decodeThreads = Options.DecodeThreads > 0 ? Options.DecodeThreads : Environment.ProcessorCount;
        var skipped = new List<SkippedImage>();
        int hits = 0, computed = 0, completed = 0;

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;
        var full = Channel.CreateBounded<Batch>(1);
        var free = Channel.CreateUnbounded<Batch>();
        for (int i = 0; i < 3; i++)
        {
            free.Writer.TryWrite(new Batch(batchSize, _pixelsPerImage, FeatureLength));
        }

        var producer = Task.Run(
            async () =>
            {
                try
                {
                    for (int start = 0; start < images.Count; start += batchSize)
                    {
                        var batch = await free.Reader.ReadAsync(token).ConfigureAwait(false);
                        batch.Fill(images, start, Math.Min(batchSize, images.Count - start), store, Options, Backbone, decodeThreads, token);
                        await full.Writer.WriteAsync(batch, token).ConfigureAwait(false);
                    }

                    full.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    full.Writer.TryComplete(e);
                }
            },
            token);

        using var runOptions = new RunOptions();
        using var registration = token.Register(() => runOptions.Terminate = true);
        var output = new float[batchSize * FeatureLength];
        try
        {
            await foreach (var batch in full.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                if (batch.DecodedCount > 0)
                {
                    Run(batch.Pixels, batch.DecodedCount, output, runOptions, token);
                }

                int decodedRow = 0;
                for (int j = 0; j < batch.Count; j++)
                {
                    int index = batch.Start + j;
                    switch (batch.Status[j])
                    {
                        case SlotStatus.Decoded:
                            var features = output.AsSpan(decodedRow++ * FeatureLength, FeatureLength);
                            store?.Add(batch.Hashes[j], features);
                            sink(index, features);
                            computed++;
                            break;
                        case SlotStatus.Cached:
                            sink(index, batch.CachedFeatures.AsSpan(j * FeatureLength, FeatureLength));
                            hits++;
                            break;
                        default:
                            skipped.Add(batch.Skips[j]!);
                            break;
                    }
                }

                completed += batch.Count;
                free.Writer.TryWrite(batch);
                progress?.Report(new FeaturizationProgress(completed, images.Count, skipped.Count, hits, clock.Elapsed));
            }
        }
        catch
        {
            await linked.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            throw;
        }
        finally
        {
            store?.Flush();
        }

        await producer.ConfigureAwait(false);
        return new FeaturizationSummary(computed, hits, skipped, clock.Elapsed);
    }

    /// <summary>Runs the backbone on <paramref name="count"/> images of prepared planar A,R,G,B pixels.</summary>
    internal void Run(float[] pixels, int count, float[] features, RunOptions? runOptions = null, CancellationToken token = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _session.Run(pixels, count, features, runOptions, token);
    }

    /// <summary>Decodes one encoded image into this featurizer's pixel layout.</summary>
    internal void Decode(ReadOnlySpan<byte> encoded, string name, Span<float> destination) =>
        ImageDecoder.DecodeToPlanes(encoded, name, Backbone.Width, Backbone.Height, Options.Preprocessing, destination);

    /// <summary>Gets the number of floats one image's pixels take.</summary>
    internal int PixelsPerImage => _pixelsPerImage;

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _session.Dispose();
        }
    }

    private enum SlotStatus
    {
        Decoded,
        Cached,
        Skipped,
    }

    private sealed class Batch
    {
        private readonly int _pixelsPerImage;
        private readonly int _featureLength;

        public Batch(int capacity, int pixelsPerImage, int featureLength)
        {
            _pixelsPerImage = pixelsPerImage;
            _featureLength = featureLength;
            Pixels = new float[capacity * pixelsPerImage];
            CachedFeatures = new float[capacity * featureLength];
            Status = new SlotStatus[capacity];
            Skips = new SkippedImage?[capacity];
            Hashes = new byte[capacity][];
            for (int i = 0; i < capacity; i++)
            {
                Hashes[i] = new byte[32];
            }
        }

        public float[] Pixels { get; }

        public float[] CachedFeatures { get; }

        public SlotStatus[] Status { get; }

        public SkippedImage?[] Skips { get; }

        public byte[][] Hashes { get; }

        public int Start { get; private set; }

        public int Count { get; private set; }

        public int DecodedCount { get; private set; }

        public void Fill(IReadOnlyList<ImageEntry> images, int start, int count, IFeatureStore? store, FeaturizerOptions options, Backbone backbone, int threads, CancellationToken token)
        {
            Start = start;
            Count = count;
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = token };
            ParallelRunner.For(count, parallel, j =>
            {
                var entry = images[start + j];
                Skips[j] = null;
                try
                {
                    var bytes = entry.ReadBytes();
                    if (store is not null)
                    {
                        SHA256.HashData(bytes.Span, Hashes[j]);
                        if (store.TryGet(Hashes[j], CachedFeatures.AsSpan(j * _featureLength, _featureLength)))
                        {
                            Status[j] = SlotStatus.Cached;
                            return;
                        }
                    }

                    ImageDecoder.DecodeToPlanes(bytes.Span, entry.Name, backbone.Width, backbone.Height, options.Preprocessing, Pixels.AsSpan(j * _pixelsPerImage, _pixelsPerImage));
                    Status[j] = SlotStatus.Decoded;
                }
                catch (InvalidImageException e) when (options.BadImagePolicy == BadImagePolicy.Skip)
                {
                    Status[j] = SlotStatus.Skipped;
                    Skips[j] = new SkippedImage(entry.Name, e.Reason);
                }
            });

            // Decoded images go first, contiguous, so one run covers them.
            int decoded = 0;
            for (int j = 0; j < count; j++)
            {
                if (Status[j] == SlotStatus.Decoded)
                {
                    if (decoded != j)
                    {
                        Pixels.AsSpan(j * _pixelsPerImage, _pixelsPerImage).CopyTo(Pixels.AsSpan(decoded * _pixelsPerImage, _pixelsPerImage));
                    }

                    decoded++;
                }
            }

            DecodedCount = decoded;
        }
    }
}
