using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Transfer.Featurization;
using Transfer.IO;

namespace Transfer.Models;

/// <content>The ML.NET scoring chain, of ML.NET's own transforms (assembled by <see cref="ScoringChainBuilder"/>, as the drop-in's is).</content>
public sealed partial class TransferModel
{
    /// <summary>
    /// Builds the ML.NET scoring chain: input <c>ImagePath</c> (text) or <c>Image</c> (<c>MLImage</c>), outputs
    /// <c>Score</c> (probabilities in class order) and <c>PredictedLabel</c> (text).
    /// </summary>
    /// <param name="input">The input column kind.</param>
    /// <returns>The fitted transformer chain.</returns>
    public ITransformer ToMlNet(ScoringInput input = ScoringInput.ImagePath)
    {
        var (chain, _) = BuildChain(input, null, fallbackToCpu: true);
        return chain;
    }

    /// <summary>
    /// Builds the ML.NET scoring chain with its <c>ApplyOnnxModel</c> step on an execution provider. With
    /// <see cref="ExecutionProvider.Cuda"/>, when the GPU package or CUDA is missing, the fallback decides: one
    /// warning and the CPU, or a <see cref="GpuUnavailableException"/>. (A saved zip does not record the provider: to
    /// score a zip on a GPU with plain ML.NET, set <c>MLContext.GpuDeviceId</c> and <c>FallbackToCpu</c> before
    /// <c>Model.Load</c>.)
    /// </summary>
    /// <param name="input">The input column kind.</param>
    /// <param name="executionProvider">Where ONNX Runtime runs the backbone.</param>
    /// <param name="loggerFactory">Where the fallback warning goes; <see langword="null"/> for none.</param>
    /// <returns>The fitted transformer chain.</returns>
    /// <exception cref="GpuUnavailableException">CUDA was asked for with <see cref="GpuFallback.Fail"/> and cannot be used.</exception>
    public ITransformer ToMlNet(ScoringInput input, ExecutionProvider executionProvider, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(executionProvider);
        int? device = null;
        if (executionProvider.IsCuda)
        {
            var probe = GpuSupport.ProbeCuda(executionProvider.DeviceId);
            if (probe.IsAvailable)
            {
                device = executionProvider.DeviceId;
            }
            else if (executionProvider.Fallback == GpuFallback.Fail)
            {
                throw new GpuUnavailableException($"{executionProvider} was asked for with GpuFallback.Fail, but it cannot be used. {probe.Problem} Or use GpuFallback.Cpu to run on the CPU with a warning.");
            }
            else
            {
                ExecutionProviderLog.FellBackToCpu((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(ExecutionProviderLog.Category), executionProvider.ToString(), probe.Problem!);
            }
        }

        var (chain, _) = BuildChain(input, device, executionProvider.Fallback == GpuFallback.Cpu);
        return chain;
    }

    private (ITransformer Chain, DataViewSchema Schema) BuildChain(ScoringInput input, int? gpuDeviceId, bool fallbackToCpu)
    {
        string onnxPath;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _onnxFile ??= new TemporaryOnnxFile(_featurizerModel.Value, "model");
            onnxPath = _onnxFile.FilePath;
        }

        IDataView empty = input == ScoringInput.ImagePath
            ? _ml.Data.LoadFromEnumerable(new List<PathInput>())
            : _ml.Data.LoadFromEnumerable(new List<ImageInput>());
        var chain = new ScoringChainBuilder(_ml, empty);
        if (input == ScoringInput.ImagePath)
        {
            chain.Append(_ml.Transforms.LoadImages("Image", null, "ImagePath"));
        }

        chain.AppendBackbone("Image", Manifest.Width, Manifest.Height, Preprocessing.ResizeMode, onnxPath, gpuDeviceId, fallbackToCpu)
            .Append(_head.ScoringTransformer);
        return (chain.Build(), empty.Schema);
    }

    private sealed class PathInput
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private sealed class ImageInput
    {
        [ImageType(1, 1)]
        public MLImage? Image { get; set; }
    }
}
