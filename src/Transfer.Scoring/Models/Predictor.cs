using System.Buffers;
using System.Diagnostics;
using Transfer.Diagnostics;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;

namespace Transfer.Models;

/// <summary>
/// Scores images with a <see cref="TransferModel"/>: a file, a stream or bytes in; the top-k classes with probabilities
/// out. Thread-safe (one instance serves a whole app); batch prediction runs several images per ONNX Runtime call.
/// Owns an ONNX Runtime session, so dispose it.
/// </summary>
public sealed class Predictor : IDisposable
{
    private readonly BackboneSession _session;
    private readonly ImagePreprocessing _preprocessing;
    private readonly TrainedHead _head;
    private readonly PredictorOptions _options;
    private readonly float? _unknownThreshold;
    private bool _disposed;

    internal Predictor(byte[] featurizerModel, ModelManifest manifest, ImagePreprocessing preprocessing, TrainedHead head, PredictorOptions options)
    {
        options.Validate();
        _options = options;
        if (options.RejectUnknown)
        {
            _unknownThreshold = options.UnknownThreshold ?? manifest.Unknown?.Threshold ?? throw new InvalidOperationException(
                "PredictorOptions.RejectUnknown: this model stores no unknown threshold (it was saved before Transfer chose one in training, or trained without held-out data). "
                + "Retrain it to store one, or set PredictorOptions.UnknownThreshold (CLI: --unknown-threshold) to a probability.");
        }

        _preprocessing = preprocessing with { MaxPixels = options.MaxPixels };
        _head = head;
        _session = new BackboneSession(featurizerModel, manifest.Width, manifest.Height, manifest.FeatureLength, new SessionSettings(options.IntraOpThreads, options.ExecutionProvider, options.OptimizedGraphDirectory, options.LoggerFactory));
        Classes = manifest.Classes;
        try
        {
            if (options.WarmUp)
            {
                // ONNX Runtime allocates its buffers on the first run and the head builds its scorer on first use: do both now.
                _session.WarmUp(1);
                _head.PredictProbabilities(new float[manifest.FeatureLength], 1, new float[Classes.Count]);
            }
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <summary>Gets where the backbone actually runs: the requested provider, or the CPU after a fallback.</summary>
    public ExecutionProvider ExecutionProvider => _session.ActiveProvider;

    /// <summary>Gets how long creating the ONNX Runtime session took (without the warm-up run).</summary>
    public TimeSpan SessionCreationTime => _session.CreationTime;

    /// <summary>Gets a value indicating whether the session was created from a saved optimized graph (see <see cref="PredictorOptions.OptimizedGraphDirectory"/>).</summary>
    public bool SessionFromSavedGraph => _session.FromSavedGraph;

    /// <summary>Gets the threshold below which images are answered "unknown", or <see langword="null"/> when the predictor does not reject (<see cref="PredictorOptions.RejectUnknown"/>).</summary>
    public float? UnknownThreshold => _unknownThreshold;

    /// <summary>Gets the class names.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Predicts the class of an image file.</summary>
    /// <param name="imagePath">The image file.</param>
    /// <param name="top">How many classes to list, best first.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="InvalidImageException">The file cannot be read or decoded.</exception>
    public Prediction Predict(string imagePath, int top = 3)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        return PredictBatch([ImageEntry.FromFile(imagePath, string.Empty)], top)[0];
    }

    /// <summary>Predicts the class of encoded image bytes.</summary>
    /// <param name="encoded">The encoded image (PNG, JPEG, BMP, GIF, WebP…).</param>
    /// <param name="top">How many classes to list.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="InvalidImageException">The bytes cannot be decoded.</exception>
    public Prediction Predict(ReadOnlyMemory<byte> encoded, int top = 3) =>
        PredictBatch([ImageEntry.FromBytes(encoded, string.Empty, "(bytes)")], top)[0];

    /// <summary>Predicts the class of an image read from a stream.</summary>
    /// <param name="stream">The stream (read to its end).</param>
    /// <param name="top">How many classes to list.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="InvalidImageException">The image cannot be decoded.</exception>
    public Prediction Predict(Stream stream, int top = 3)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Predict(buffer.ToArray(), top);
    }

    /// <summary>Predicts many image files, several per ONNX Runtime run.</summary>
    /// <param name="imagePaths">The image files.</param>
    /// <param name="top">How many classes to list per image.</param>
    /// <returns>One prediction per image, in order.</returns>
    /// <exception cref="InvalidImageException">An image cannot be read or decoded.</exception>
    public IReadOnlyList<Prediction> PredictBatch(IEnumerable<string> imagePaths, int top = 3)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        return PredictBatch(imagePaths.Select(p => ImageEntry.FromFile(p, string.Empty)).ToList(), top);
    }

    /// <summary>Predicts many images, several per ONNX Runtime run.</summary>
    /// <param name="images">The images.</param>
    /// <param name="top">How many classes to list per image.</param>
    /// <returns>One prediction per image, in order.</returns>
    /// <exception cref="InvalidImageException">An image cannot be read or decoded.</exception>
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<ImageEntry> images, int top = 3)
    {
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(_disposed, this);
        long started = Stopwatch.GetTimestamp();
        using var activity = Instrumentation.Source.StartActivity(ScoringTelemetry.PredictSpan); // null, and nothing allocated, without a listener
        activity?.SetTag("transfer.images", images.Count);
        top = Math.Clamp(top, 1, Classes.Count);
        int batch = Math.Min(_session.ActiveProvider.IsCuda ? _options.GpuBatchSize : _options.BatchSize, Math.Max(1, images.Count));
        int d = _session.FeatureLength;
        int c = Classes.Count;
        var pixels = ArrayPool<float>.Shared.Rent(batch * _session.PixelsPerImage);
        var features = ArrayPool<float>.Shared.Rent(batch * d);
        var probabilities = new float[batch * c];
        var results = new List<Prediction>(images.Count);
        try
        {
            for (int start = 0; start < images.Count; start += batch)
            {
                int count = Math.Min(batch, images.Count - start);
                if (count == 1)
                {
                    _session.Decode(images[start], _preprocessing, pixels, 0);
                }
                else
                {
                    ParallelRunner.For(count, new ParallelOptions(), j => _session.Decode(images[start + j], _preprocessing, pixels, j));
                }

                _session.Run(pixels, count, features);
                _head.PredictProbabilities(features.AsSpan(0, count * d), count, probabilities);
                for (int j = 0; j < count; j++)
                {
                    results.Add(ToPrediction(probabilities.AsSpan(j * c, c), top));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pixels);
            ArrayPool<float>.Shared.Return(features);
        }

        ScoringTelemetry.Predictions.Add(results.Count);
        if (ScoringTelemetry.PredictionDuration.Enabled)
        {
            ScoringTelemetry.PredictionDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        return results;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _session.Dispose();
        }
    }

    private Prediction ToPrediction(ReadOnlySpan<float> p, int top)
    {
        var order = new int[p.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var scores = p.ToArray();
        Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]) != 0 ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
        var best = new LabelScore[top];
        for (int i = 0; i < top; i++)
        {
            best[i] = new LabelScore(Classes[order[i]], scores[order[i]]);
        }

        bool unknown = _unknownThreshold is { } threshold && best[0].Score < threshold;
        return new Prediction(unknown ? Prediction.UnknownLabel : best[0].Label, best[0].Score, best, scores) { IsUnknown = unknown };
    }
}
