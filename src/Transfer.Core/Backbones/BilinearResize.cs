namespace Transfer.Backbones;

/// <summary>Bilinear resizing of planar float images, with half-pixel centres (align-corners false, as OpenCV and PyTorch by default).</summary>
internal static class BilinearResize
{
    /// <summary>Resizes <paramref name="planes"/> planes of <paramref name="width"/>×<paramref name="height"/> values (row-major) to <paramref name="newWidth"/>×<paramref name="newHeight"/>.</summary>
    public static float[] Planes(IReadOnlyList<float> source, int planes, int width, int height, int newWidth, int newHeight)
    {
        var result = new float[planes * newWidth * newHeight];
        var (x0, x1, fx) = Taps(width, newWidth);
        var (y0, y1, fy) = Taps(height, newHeight);
        for (int p = 0; p < planes; p++)
        {
            int src = p * width * height, dst = p * newWidth * newHeight;
            for (int y = 0; y < newHeight; y++)
            {
                int r0 = src + (y0[y] * width), r1 = src + (y1[y] * width);
                for (int x = 0; x < newWidth; x++)
                {
                    float top = source[r0 + x0[x]] + ((source[r0 + x1[x]] - source[r0 + x0[x]]) * fx[x]);
                    float bottom = source[r1 + x0[x]] + ((source[r1 + x1[x]] - source[r1 + x0[x]]) * fx[x]);
                    result[dst + (y * newWidth) + x] = top + ((bottom - top) * fy[y]);
                }
            }
        }

        return result;
    }

    /// <summary>For each output index: the two source indices and the weight of the second, sampling at (i + 0.5) · in/out − 0.5 clamped to the edges.</summary>
    private static (int[] Low, int[] High, float[] Weight) Taps(int size, int newSize)
    {
        var low = new int[newSize];
        var high = new int[newSize];
        var weight = new float[newSize];
        double scale = size / (double)newSize;
        for (int i = 0; i < newSize; i++)
        {
            double s = Math.Clamp(((i + 0.5) * scale) - 0.5, 0, size - 1);
            int l = (int)Math.Floor(s);
            low[i] = l;
            high[i] = Math.Min(l + 1, size - 1);
            weight[i] = (float)(s - l);
        }

        return (low, high, weight);
    }
}
