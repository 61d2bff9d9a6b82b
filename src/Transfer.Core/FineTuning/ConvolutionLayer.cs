namespace Transfer.FineTuning;

/// <summary>
/// A convolution of the tuned part (BatchNorm folded in, group 1, no dilation) and the ONNX nodes of its forward and
/// backward passes. Tensors are laid out [H, W, N, C] so that an image-to-columns copy is a few slices and the
/// convolution, its weight gradient and its input gradient are each one large matrix product (MLAS GEMM): measured 2–3×
/// faster on a CPU than <c>Conv</c>/<c>ConvTranspose</c> with weights fed as graph inputs.
/// </summary>
/// <remarks>
/// The trained weight is held as a matrix [k·k·Cin, Cout] whose row <c>(kh·k + kw)·Cin + ci</c> is the ONNX weight
/// <c>W[co, ci, kh, kw]</c> (<see cref="ToColumns"/>, <see cref="FromColumns"/>).
/// </remarks>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Kernel">The (square) kernel side.</param>
/// <param name="Stride">The stride, both axes.</param>
/// <param name="Pads">Top, left, bottom, right zero padding (ONNX <c>pads</c> order).</param>
internal sealed record ConvolutionLayer(int InChannels, int OutChannels, int Kernel, int Stride, Pads4 Pads)
{
    /// <summary>Gets the length of one im2col row: k·k·Cin.</summary>
    public int ColumnLength => Kernel * Kernel * InChannels;

    /// <summary>Gets the number of weights.</summary>
    public int WeightLength => ColumnLength * OutChannels;

    /// <summary>The output side for an input side (ONNX floor rule).</summary>
    public int OutputSize(int input, bool height) => ((input + (height ? Pads.Top + Pads.Bottom : Pads.Left + Pads.Right) - Kernel) / Stride) + 1;

    /// <summary>Reorders an ONNX weight [Cout, Cin, k, k] into the column matrix [k·k·Cin, Cout].</summary>
    public float[] ToColumns(ReadOnlySpan<float> onnxWeight)
    {
        var columns = new float[WeightLength];
        int k2 = Kernel * Kernel;
        for (int co = 0; co < OutChannels; co++)
        {
            for (int ci = 0; ci < InChannels; ci++)
            {
                for (int kk = 0; kk < k2; kk++)
                {
                    columns[(((kk * InChannels) + ci) * OutChannels) + co] = onnxWeight[(((co * InChannels) + ci) * k2) + kk];
                }
            }
        }

        return columns;
    }

    /// <summary>The inverse of <see cref="ToColumns"/>: the ONNX weight [Cout, Cin, k, k].</summary>
    public float[] FromColumns(ReadOnlySpan<float> columns)
    {
        var weight = new float[WeightLength];
        int k2 = Kernel * Kernel;
        for (int co = 0; co < OutChannels; co++)
        {
            for (int ci = 0; ci < InChannels; ci++)
            {
                for (int kk = 0; kk < k2; kk++)
                {
                    weight[(((co * InChannels) + ci) * k2) + kk] = columns[(((kk * InChannels) + ci) * OutChannels) + co];
                }
            }
        }

        return weight;
    }

    /// <summary>
    /// The forward pass: <paramref name="x"/> [H, W, N, Cin] → columns [Ho·Wo·N, k·k·Cin] (kept for the weight gradient)
    /// and the output [Ho·Wo·N, Cout] = columns · W + b.
    /// </summary>
    public (string Columns, string Output) Forward(OnnxGraphBuilder g, string x, int height, int width, string weight, string bias)
    {
        string columns = Columns(g, x, InChannels, height, width, Kernel, Stride, Pads);
        return (columns, g.Gemm(columns, weight, bias));
    }

    /// <summary>The weight gradient columnsᵀ · dY [k·k·Cin, Cout] and the bias gradient Σ dY [Cout], from dY [Ho·Wo·N, Cout].</summary>
    public static (string Weight, string Bias) ParameterGradients(OnnxGraphBuilder g, string columns, string outputGradient) =>
        (g.Gemm(columns, outputGradient, transA: true), g.ReduceSum(outputGradient, [0]));

    /// <summary>
    /// The input gradient [H, W, N, Cin] from dY [Ho, Wo, N, Cout] (stride 1 only): the transposed convolution, written as
    /// a convolution of dY padded by k − 1 − pad with the kernel flipped in space and its channel axes swapped.
    /// </summary>
    /// <exception cref="NotSupportedException">The stride is not 1, or a pad exceeds k − 1.</exception>
    public string InputGradient(OnnxGraphBuilder g, string outputGradient, int outHeight, int outWidth, string weight)
    {
        int k = Kernel;
        if (Stride != 1 || Pads.Top > k - 1 || Pads.Left > k - 1 || Pads.Bottom > k - 1 || Pads.Right > k - 1)
        {
            throw new NotSupportedException($"The input gradient of a {k}×{k} convolution with stride {Stride} and pads {Pads} is not supported: only stride 1 with pads below the kernel side. Tune fewer layers, so that such a convolution reads the frozen input.");
        }

        var flipPads = new Pads4(k - 1 - Pads.Top, k - 1 - Pads.Left, k - 1 - Pads.Bottom, k - 1 - Pads.Right);
        string columns = Columns(g, outputGradient, OutChannels, outHeight, outWidth, k, 1, flipPads);
        int height = outHeight + k - 1 - Pads.Top - Pads.Bottom;
        int width = outWidth + k - 1 - Pads.Left - Pads.Right;
        if (k == 1)
        {
            return g.Reshape(g.Gemm(columns, weight, transB: true), height, width, -1, InChannels);
        }

        string spatial = g.Reshape(weight, k, k, InChannels, OutChannels);
        string flipped = g.Slice(spatial, [-1, -1], [long.MinValue, long.MinValue], [0, 1], [-1, -1]);
        flipped = g.Reshape(g.Transpose(flipped, 0, 1, 3, 2), k * k * OutChannels, InChannels);
        return g.Reshape(g.Gemm(columns, flipped), height, width, -1, InChannels);
    }

    /// <summary>
    /// Image to columns: <paramref name="x"/> [H, W, N, C] → [Ho·Wo·N, k·k·C], row (ho, wo, n) holding the k×k window
    /// at (ho·stride − top, wo·stride − left), kernel position major, channel minor.
    /// </summary>
    private static string Columns(OnnxGraphBuilder g, string x, int channels, int height, int width, int kernel, int stride, Pads4 pads)
    {
        int outHeight = ((height + pads.Top + pads.Bottom - kernel) / stride) + 1;
        int outWidth = ((width + pads.Left + pads.Right - kernel) / stride) + 1;
        string padded = g.Pad(x, pads.Top, pads.Left, 0, 0, pads.Bottom, pads.Right, 0, 0);
        var windows = new string[kernel * kernel];
        for (int kh = 0; kh < kernel; kh++)
        {
            for (int kw = 0; kw < kernel; kw++)
            {
                long[] starts = [kh, kw];
                long[] ends = [kh + ((long)stride * (outHeight - 1)) + 1, kw + ((long)stride * (outWidth - 1)) + 1];
                bool whole = kernel == 1 && stride == 1 && outHeight == height + pads.Top + pads.Bottom && outWidth == width + pads.Left + pads.Right;
                windows[(kh * kernel) + kw] = whole ? padded : g.Slice(padded, starts, ends, [0, 1], stride == 1 ? null : [stride, stride]);
            }
        }

        return g.Reshape(g.Concat(windows, 3), -1, (long)kernel * kernel * channels);
    }
}

/// <summary>Zero padding of a 2-D convolution, in ONNX order.</summary>
internal readonly record struct Pads4(int Top, int Left, int Bottom, int Right)
{
    public override string ToString() => $"[{Top}, {Left}, {Bottom}, {Right}]";
}
