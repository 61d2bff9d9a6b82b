using Microsoft.ML.OnnxRuntime;
using Transfer.Backbones;
using Transfer.Diagnostics;
using Transfer.Images;

namespace Transfer.Featurization;

/// <summary>
/// Turns images into backbone features: reads and decodes in parallel while ONNX Runtime runs the previous batch,
/// reusing its buffers, so memory stays bounded however many images there are. Thread-safe; owns an ONNX Runtime
/// session, so dispose it.
/// </summary>
public sealed partial class Featurizer : IDisposable
{
    private readonly Lazy<byte[]> _modelBytes;
    private readonly Lazy<BackboneSession> _lazySession;
    private bool _disposed;

    /// <summary>Creates a featurizer for a backbone.</summary>
    /// <param name="backbone">The backbone.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid or the model does not match its descriptor.</exception>
    public Featurizer(Backbone backbone, FeaturizerOptions? options = null)
        : this(backbone, options, deferSession: false)
    {
    }

    /// <summary>Creates a featurizer whose ONNX Runtime session may wait for the first image that needs the backbone.</summary>
    /// <param name="backbone">The backbone.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <param name="deferSession">
    /// Whether to create the session on first use (a run whose every vector is in the bottleneck cache never needs it),
    /// so session errors (an unusable GPU under <see cref="GpuFallback.Fail"/>) come from that use instead of here.
    /// </param>
    /// <exception cref="ArgumentException">The options are invalid or the model does not match its descriptor.</exception>
    public Featurizer(Backbone backbone, FeaturizerOptions? options, bool deferSession)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        Options = options ?? new FeaturizerOptions();
        Options.Validate();
        Backbone = backbone;
        _modelBytes = new Lazy<byte[]>(() => backbone.BuildFeaturizerModel(Options.Preprocessing), LazyThreadSafetyMode.ExecutionAndPublication);
        _lazySession = new Lazy<BackboneSession>(() => new BackboneSession(ModelBytes, backbone.Width, backbone.Height, backbone.FeatureLength, new SessionSettings(Options.IntraOpThreads, Options.ExecutionProvider, Options.OptimizedGraphDirectory, Options.LoggerFactory)), LazyThreadSafetyMode.ExecutionAndPublication);
        if (!deferSession)
        {
            _ = _lazySession.Value;
        }
    }

    private BackboneSession Session => _lazySession.Value;

    /// <summary>
    /// Gets where the backbone actually runs: <see cref="FeaturizerOptions.ExecutionProvider"/>, or
    /// <see cref="ExecutionProvider.Cpu"/> when a GPU was asked for, could not be used and the fallback is the CPU.
    /// </summary>
    public ExecutionProvider ExecutionProvider => Session.ActiveProvider;

    /// <summary>Gets the number of images per ONNX Runtime run: <see cref="FeaturizerOptions.GpuBatchSize"/> on a GPU, else <see cref="FeaturizerOptions.BatchSize"/>.</summary>
    public int BatchSize => Session.ActiveProvider.IsCuda ? Options.GpuBatchSize : Options.BatchSize;

    /// <summary>Gets how long creating the ONNX Runtime session took.</summary>
    public TimeSpan SessionCreationTime => Session.CreationTime;

    /// <summary>Gets a value indicating whether the session was created from a saved optimized graph (see <see cref="FeaturizerOptions.OptimizedGraphDirectory"/>).</summary>
    public bool SessionFromSavedGraph => Session.FromSavedGraph;

    /// <summary>Gets the backbone.</summary>
    public Backbone Backbone { get; }

    /// <summary>Gets the options.</summary>
    public FeaturizerOptions Options { get; }

    /// <summary>Gets the number of features per image.</summary>
    public int FeatureLength => Backbone.FeatureLength;

    /// <summary>
    /// Gets the key of this featurizer's feature space (backbone fingerprint, preprocessing and <see cref="FeaturizerOptions.View"/>
    /// when set): vectors from featurizers with different keys never mix.
    /// </summary>
    public string FeatureSpaceKey => Options.View is null ? Backbone.FeatureSpaceKey(Options.Preprocessing) : Backbone.FeatureSpaceKey(Options.Preprocessing, Options.View);

    /// <summary>
    /// Gets the ONNX graph this featurizer runs (pixels → features), built on first use: a run whose every vector is in
    /// the bottleneck cache needs it only to save or predict with the model.
    /// </summary>
    internal byte[] ModelBytes => _modelBytes.Value;

    /// <summary>
    /// Gets the ONNX model this featurizer runs (pixels → features, <c>Pixels</c> [N, 4, H, W] → <c>Features</c> [N, D]),
    /// built on first use: what an ML.NET <c>ApplyOnnxModel</c> step runs to score as this featurizer does.
    /// </summary>
    public ReadOnlyMemory<byte> OnnxModel => _modelBytes.Value;

    /// <summary>Gets the graph bytes, built on first use (see <see cref="ModelBytes"/>).</summary>
    internal Lazy<byte[]> LazyModelBytes => _modelBytes;

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
        using var activity = StartActivity(images.Count, store is not null);
        try
        {
            return Record(activity, await FeaturizeCoreAsync(images, sink, store, progress, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (Instrumentation.Fail(activity, ex))
        {
            throw;
        }
    }

    private async Task<FeaturizationSummary> FeaturizeCoreAsync(IReadOnlyList<ImageEntry> images, FeatureSink sink, IFeatureStore? store, IProgress<FeaturizationProgress>? progress, CancellationToken cancellationToken)
    {
        var run = new RunState(images.Count);
        int decodeThreads = Options.DecodeThreads > 0 ? Options.DecodeThreads : Environment.ProcessorCount;
        if (store is null)
        {
            await ComputeAsync(images, Enumerable.Range(0, images.Count).ToArray(), null, sink, null, run, progress, cancellationToken).ConfigureAwait(false);
            return run.Summary();
        }

        // With a store: hash a chunk (reading each file once), look the whole chunk up in one pass over the
        // segments, hand out the hits, and compute only the misses.
        // Up to 4096 images a chunk, fewer for long vectors (activation maps) so the lookup buffer stays under 64 MiB.
        int chunkSize = Math.Clamp((64 << 20) / (FeatureLength * sizeof(float)), 16, 4096);
        var hashes = new ContentHash[Math.Min(chunkSize, images.Count)];
        var cached = new float[hashes.Length * FeatureLength];
        try
        {
            for (int start = 0; start < images.Count; start += chunkSize)
            {
                int count = Math.Min(chunkSize, images.Count - start);
                var unreadable = new bool[count];
                ParallelRunner.For(count, new ParallelOptions { MaxDegreeOfParallelism = decodeThreads, CancellationToken = cancellationToken }, j =>
                {
                    try
                    {
                        hashes[j] = ContentHash.Compute(images[start + j].ReadBytes().Span);
                    }
                    catch (InvalidImageException)
                    {
                        unreadable[j] = true; // reported by the decode stage under the user's policy
                    }
                });

                var missing = new HashSet<int>(store.Lookup(hashes.AsSpan(0, count), cached.AsSpan(0, count * FeatureLength)));
                var toCompute = new List<int>();
                for (int j = 0; j < count; j++)
                {
                    if (unreadable[j] || missing.Contains(j))
                    {
                        toCompute.Add(start + j);
                    }
                    else
                    {
                        sink(start + j, cached.AsSpan(j * FeatureLength, FeatureLength));
                        run.Hits++;
                        run.Completed++;
                    }
                }

                run.Report(progress);
                var chunkHashes = hashes;
                int chunkStart = start;
                await ComputeAsync(images, [.. toCompute], i => chunkHashes[i - chunkStart], sink, store, run, progress, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            store.Flush();
        }

        return run.Summary();
    }

    /// <summary>Runs the backbone on <paramref name="count"/> images of prepared planar A,R,G,B pixels.</summary>
    internal void Run(float[] pixels, int count, float[] features, RunOptions? runOptions = null, CancellationToken token = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Session.Run(pixels, count, features, runOptions, token);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_lazySession.IsValueCreated)
            {
                _lazySession.Value.Dispose();
            }
        }
    }
}
