using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Transfer.Backbones;
using Transfer.Images;

namespace Transfer.Models;

/// <summary>
/// The one builder of Transfer's ML.NET scoring chains, for <see cref="TransferModel"/> and the ML.NET drop-in alike:
/// the caller's steps that bring an image column (<c>LoadImages</c>, a bytes decoder), then <see cref="AppendBackbone"/>
/// (<c>ResizeImages → ExtractPixels → ApplyOnnxModel</c>, the pixels the backbone graph expects), then the head's
/// transformers. Every step is fitted on the schema alone: the input view has no rows.
/// </summary>
internal sealed class ScoringChainBuilder
{
    private readonly MLContext _ml;
    private readonly List<ITransformer> _steps = [];
    private IDataView _data;

    /// <summary>Starts a chain.</summary>
    /// <param name="ml">The context the estimators come from.</param>
    /// <param name="emptyInput">A view with the scoring input's schema and no rows.</param>
    public ScoringChainBuilder(MLContext ml, IDataView emptyInput)
    {
        _ml = ml;
        _data = emptyInput;
    }

    /// <summary>Gets the schema after the steps appended so far.</summary>
    public DataViewSchema Schema => _data.Schema;

    /// <summary>Fits a step on the schema so far and appends it.</summary>
    /// <param name="step">The step.</param>
    /// <returns>This builder.</returns>
    public ScoringChainBuilder Append(IEstimator<ITransformer> step) => Append(step.Fit(_data));

    /// <summary>Appends a fitted step (a head's transformer).</summary>
    /// <param name="step">The step.</param>
    /// <returns>This builder.</returns>
    public ScoringChainBuilder Append(ITransformer step)
    {
        _steps.Add(step);
        _data = step.Transform(_data);
        return this;
    }

    /// <summary>
    /// Appends the backbone: resizes the image column in place, extracts its pixels as the graph's input (all channels,
    /// ARGB, planar) and runs the graph, which outputs the features column (<see cref="BackboneTensorNames.Features"/>).
    /// </summary>
    /// <param name="imageColumn">The column holding the decoded image (<c>MLImage</c>).</param>
    /// <param name="width">The backbone's input width.</param>
    /// <param name="height">The backbone's input height.</param>
    /// <param name="resizeMode">How the image fits the input size: <see cref="ResizeMode.Stretch"/> is ML.NET's <c>Fill</c>, <see cref="ResizeMode.Pad"/> <c>IsoPad</c>, otherwise <c>IsoCrop</c> (centred).</param>
    /// <param name="onnxPath">The backbone graph (pixels → features) on disk; ML.NET reads it again when the chain is saved.</param>
    /// <param name="gpuDeviceId">The CUDA device for <c>ApplyOnnxModel</c>, or <see langword="null"/> for the context's choice (the CPU by default).</param>
    /// <param name="fallbackToCpu">Whether <c>ApplyOnnxModel</c> falls back to the CPU when the GPU cannot be used.</param>
    /// <returns>This builder.</returns>
    public ScoringChainBuilder AppendBackbone(string imageColumn, int width, int height, ResizeMode resizeMode, string onnxPath, int? gpuDeviceId, bool fallbackToCpu)
    {
        var resize = resizeMode switch
        {
            ResizeMode.Stretch => ImageResizingEstimator.ResizingKind.Fill,
            ResizeMode.Pad => ImageResizingEstimator.ResizingKind.IsoPad,
            _ => ImageResizingEstimator.ResizingKind.IsoCrop,
        };
        return Append(_ml.Transforms.ResizeImages(imageColumn, width, height, imageColumn, resize, ImageResizingEstimator.Anchor.Center))
            .Append(_ml.Transforms.ExtractPixels(BackboneTensorNames.Pixels, imageColumn, ImagePixelExtractingEstimator.ColorBits.All, ImagePixelExtractingEstimator.ColorsOrder.ARGB))
            .Append(_ml.Transforms.ApplyOnnxModel([BackboneTensorNames.Features], [BackboneTensorNames.Pixels], onnxPath, gpuDeviceId, fallbackToCpu));
    }

    /// <summary>Returns the chain of the steps appended, in order.</summary>
    /// <returns>The fitted chain.</returns>
    public TransformerChain<ITransformer> Build() => new([.. _steps]);
}
