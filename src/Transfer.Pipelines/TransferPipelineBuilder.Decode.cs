using Transfer.Images;

namespace Transfer.Pipelines;

/// <content>How images are decoded: full size or at a reduced scale.</content>
public sealed partial class TransferPipelineBuilder
{
    private bool? _scaledDecode;

    /// <summary>
    /// Decodes JPEG and WebP images at the smallest reduced scale (1/2, 1/4, 1/8) that still covers the backbone's input,
    /// then resizes (<see cref="ImagePreprocessing.ScaledDecode"/>): the same choice of resize, much less decoding work for
    /// photos. Applies to the preprocessing the pipeline ends up with, chosen or set by <see cref="WithPreprocessing"/>;
    /// the saved model records it and its predictor decodes the same way.
    /// </summary>
    /// <param name="scaled"><see langword="true"/> to decode at a reduced scale, <see langword="false"/> for full-size decoding.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder DecodeScaled(bool scaled = true)
    {
        _scaledDecode = scaled;
        return this;
    }

    private ImagePreprocessing ApplyDecode(ImagePreprocessing preprocessing) =>
        _scaledDecode is { } scaled && preprocessing.ScaledDecode != scaled ? preprocessing with { ScaledDecode = scaled } : preprocessing;
}
