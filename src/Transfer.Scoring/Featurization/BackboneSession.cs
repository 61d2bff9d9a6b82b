using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Transfer.Backbones;
using Transfer.Images;

namespace Transfer.Featurization;

/// <summary>How a <see cref="BackboneSession"/> is created.</summary>
/// <param name="IntraOpThreads">ONNX Runtime threads inside one run; 0 for one per core on the CPU, 1 on a GPU.</param>
/// <param name="Provider">The requested execution provider.</param>
/// <param name="OptimizedGraphDirectory">Where optimized graphs are saved and reused; <see langword="null"/> to not save them.</param>
/// <param name="LoggerFactory">Where the fallback warning goes; <see langword="null"/> for none.</param>
internal sealed record SessionSettings(int IntraOpThreads, ExecutionProvider Provider, string? OptimizedGraphDirectory, ILoggerFactory? LoggerFactory)
{
    /// <summary>The default number of images per run on a GPU: a GPU is busier with larger batches, and 32 images of 224×224 need 25 MB of pixels.</summary>
    public const int DefaultGpuBatchSize = 32;
}

/// <summary>An ONNX Runtime session over a pixels → features graph, run on batches of prepared pixel planes. Thread-safe.</summary>
internal sealed class BackboneSession : IDisposable
{
    private readonly InferenceSession _session;

    public BackboneSession(byte[] model, int width, int height, int featureLength, SessionSettings settings)
    {
        Width = width;
        Height = height;
        FeatureLength = featureLength;
        PixelsPerImage = 4 * width * height;
        var logger = (settings.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger(ExecutionProviderLog.Category);
        var clock = Stopwatch.StartNew();
        var requested = settings.Provider;
        InferenceSession? session = null;
        bool fromSavedGraph = false;
        if (requested.IsCuda)
        {
            var probe = GpuSupport.ProbeCuda(requested.DeviceId);
            if (!probe.IsAvailable)
            {
                Unavailable(requested, probe.Problem!, null, logger);
            }
            else
            {
                try
                {
                    session = OptimizedGraphCache.Create(model, settings.OptimizedGraphDirectory, "cuda", () => Options(settings.IntraOpThreads > 0 ? settings.IntraOpThreads : 1, requested), logger, out fromSavedGraph);
                }
                catch (OnnxRuntimeException e)
                {
                    Unavailable(requested, SessionProblem(requested.DeviceId, e), e, logger);
                }
            }
        }

        ActiveProvider = session is null ? ExecutionProvider.Cpu : requested;
        session ??= OptimizedGraphCache.Create(model, settings.OptimizedGraphDirectory, "cpu", () => Options(settings.IntraOpThreads > 0 ? settings.IntraOpThreads : Environment.ProcessorCount, null), logger, out fromSavedGraph);
        _session = session;
        FromSavedGraph = fromSavedGraph;
        CreationTime = clock.Elapsed;
        ExecutionProviderLog.SessionCreated(logger, ActiveProvider, CreationTime, fromSavedGraph);
    }

    public int Width { get; }

    public int Height { get; }

    public int FeatureLength { get; }

    public int PixelsPerImage { get; }

    /// <summary>Gets the provider the session runs on: the requested one, or the CPU after a fallback.</summary>
    public ExecutionProvider ActiveProvider { get; }

    /// <summary>Gets a value indicating whether the session was created from a saved optimized graph.</summary>
    public bool FromSavedGraph { get; }

    /// <summary>Gets how long creating the session took.</summary>
    public TimeSpan CreationTime { get; }

    /// <summary>Reads and decodes one image into pixel slot <paramref name="slot"/> of <paramref name="pixels"/>.</summary>
    /// <exception cref="InvalidImageException">The image cannot be read or decoded.</exception>
    public void Decode(ImageEntry image, ImagePreprocessing preprocessing, float[] pixels, int slot)
    {
        var bytes = image.ReadBytes();
        ImageDecoder.DecodeToPlanes(bytes.Span, image.Name, Width, Height, preprocessing, pixels.AsSpan(slot * PixelsPerImage, PixelsPerImage));
    }

    /// <summary>Decodes one image's encoded bytes (already read) into pixel slot <paramref name="slot"/> of <paramref name="pixels"/>.</summary>
    /// <exception cref="InvalidImageException">The image cannot be decoded.</exception>
    public void Decode(ReadOnlySpan<byte> encoded, string name, ImagePreprocessing preprocessing, float[] pixels, int slot)
    {
        ImageDecoder.DecodeToPlanes(encoded, name, Width, Height, preprocessing, pixels.AsSpan(slot * PixelsPerImage, PixelsPerImage));
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
            _session.Run(runOptions, [BackboneTensorNames.Pixels], [input], [BackboneTensorNames.Features], [output]);
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

    /// <summary>Runs the graph once on <paramref name="count"/> blank images, so ONNX Runtime allocates its buffers (and CUDA picks its kernels) before the first real run.</summary>
    public void WarmUp(int count)
    {
        Run(new float[count * PixelsPerImage], count, new float[count * FeatureLength]);
    }

    public void Dispose() => _session.Dispose();

    private static SessionOptions Options(int intraOpThreads, ExecutionProvider? cuda)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads,
            // ORT warns on every saved fully-optimized graph that it is hardware specific; the cache key includes the CPU's extensions.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (cuda is not null)
        {
            try
            {
                using var cudaOptions = new OrtCUDAProviderOptions();
                cudaOptions.UpdateOptions(new Dictionary<string, string>
                {
                    ["device_id"] = cuda.DeviceId.ToString(CultureInfo.InvariantCulture),
                    // The exhaustive cuDNN search costs seconds per new batch shape; the heuristic keeps the first prediction fast.
                    ["cudnn_conv_algo_search"] = "HEURISTIC",
                    ["do_copy_in_default_stream"] = "1",
                    // TF32 convolutions drift about 1e-2 from the CPU; the bottleneck cache mixes vectors from both, so keep full float32.
                    ["use_tf32"] = "0",
                });
                options.AppendExecutionProvider_CUDA(cudaOptions);
            }
            catch
            {
                options.Dispose();
                throw;
            }
        }

        return options;
    }

    /// <summary>Builds the message for a CUDA session that failed to be created after the probe passed (no such device, out of memory…).</summary>
    private static string SessionProblem(int deviceId, Exception e)
    {
        string message = e.Message.Trim();
        return $"ONNX Runtime {GpuSupport.OnnxRuntimeVersion} could not create a session on CUDA device {deviceId}: {(message.EndsWith('.') ? message : message + ".")} "
            + "Check that the device exists (nvidia-smi lists it) and has free memory, or pick another device id.";
    }

    private static void Unavailable(ExecutionProvider requested, string problem, Exception? inner, ILogger logger)
    {
        if (requested.Fallback == GpuFallback.Fail)
        {
            string message = $"{requested} was asked for with GpuFallback.Fail, but it cannot be used. {problem} Or use GpuFallback.Cpu to run on the CPU with a warning.";
            throw inner is null ? new GpuUnavailableException(message) : new GpuUnavailableException(message, inner);
        }

        ExecutionProviderLog.FellBackToCpu(logger, requested.ToString(), problem);
    }
}
