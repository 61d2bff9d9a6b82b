using Microsoft.ML.OnnxRuntime;
using Transfer.Backbones;
using Transfer.Images;

namespace Transfer.Featurization;

/// <summary>An ONNX Runtime session over a pixels → features graph, run on batches of prepared pixel planes. Thread-safe.</summary>
internal sealed class BackboneSession : IDisposable
{
    private readonly InferenceSession _session;

    public BackboneSession(byte[] model, int width, int height, int featureLength, int intraOpThreads)
    {
        Width = width;
        Height = height;
        FeatureLength = featureLength;
        PixelsPerImage = 4 * width * height;
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads > 0 ? intraOpThreads : Environment.ProcessorCount,
        };
        _session = new InferenceSession(model, options);
    }

    public int Width { get; }

    public int Height { get; }

    public int FeatureLength { get; }

    public int PixelsPerImage { get; }

    /// <summary>Reads and decodes one image into pixel slot <paramref name="slot"/> of <paramref name="pixels"/>.</summary>
    /// <exception cref="InvalidImageException">The image cannot be read or decoded.</exception>
    public void Decode(ImageEntry image, ImagePreprocessing preprocessing, float[] pixels, int slot)
    {
        var bytes = image.ReadBytes();
        ImageDecoder.DecodeToPlanes(bytes.Span, image.Name, Width, Height, preprocessing, pixels.AsSpan(slot * PixelsPerImage, PixelsPerImage));
    }

    /// <summary>Runs the graph on <paramref name="count"/> images; a set token terminates the run and throws <see cref="OperationCanceledException"/>.</summary>
    public void Run(float[] pixels, int count, float[] features, RunOptions? runOptions = null, CancellationToken token = default)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(0, count * PixelsPerImage), [count, 4, Height, Width]);
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, features.AsMemory(0, count * FeatureLength), [count, FeatureLength]);
        bool own = runOptions is null;
        runOptions ??= new RunOptions();
        try
        {
            _session.Run(runOptions, [BackboneGraph.PixelsName], [input], [BackboneGraph.FeaturesName], [output]);
        }
        catch (OnnxRuntimeException) when (token.IsCancellationRequested)
        {
            throw new OperationCanceledException("The backbone run was cancelled.", token);
        }
        finally
        {
            if (own)
            {
                runOptions.Dispose();
            }
        }
    }

    public void Dispose() => _session.Dispose();
}
