using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Transfer.Heads.Neural;

/// <summary>
/// Register-blocked matrix products for dense layers. Each output element is always computed by the same code path
/// in the same order, whatever range of rows or units a thread is given, so results do not depend on threading.
/// </summary>
/// <remarks>
/// Row-by-row <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> reloads the whole weight matrix
/// for every sample; 4 × 4 tiles reuse each load four times, which is what brings an MLP epoch over 60,000 × 512 features
/// to about a second on two cores.
/// </remarks>
internal static class DenseKernels
{
    /// <summary>Whether 512-bit vectors are hardware-accelerated (AVX-512): then tiles are twice as wide.</summary>
    private static readonly bool Wide = Vector512.IsHardwareAccelerated;

    /// <summary>
    /// z[b, j] = bias[j] + x[b, :] · w[j, :] for rows <paramref name="rowStart"/> ≤ b &lt; <paramref name="rowEnd"/>
    /// (<paramref name="rowStart"/> a multiple of 4 so that tiles do not depend on the split).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> z, int inputs, int outputs, int rowStart, int rowEnd)
    {
        int b = rowStart;
        for (; b + 4 <= rowEnd; b += 4)
        {
            int j = 0;
            for (; j + 4 <= outputs; j += 4)
            {
                if (Wide)
                {
                    Tile4x4Wide(x, w, bias, z, inputs, outputs, b, j);
                }
                else
                {
                    Tile4x4(x, w, bias, z, inputs, outputs, b, j);
                }
            }

            for (; j < outputs; j++)
            {
                for (int r = b; r < b + 4; r++)
                {
                    z[(r * outputs) + j] = bias[j] + TensorPrimitives.Dot(x.Slice(r * inputs, inputs), w.Slice(j * inputs, inputs));
                }
            }
        }

        for (; b < rowEnd; b++)
        {
            for (int j = 0; j < outputs; j++)
            {
                z[(b * outputs) + j] = bias[j] + TensorPrimitives.Dot(x.Slice(b * inputs, inputs), w.Slice(j * inputs, inputs));
            }
        }
    }

    /// <summary>
    /// gw[j, :] = Σ_b delta[b, j] x[b, :] and gb[j] = Σ_b delta[b, j] over all <paramref name="rows"/>, for units
    /// <paramref name="unitStart"/> ≤ j &lt; <paramref name="unitEnd"/> (<paramref name="unitStart"/> a multiple of 4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGradient(ReadOnlySpan<float> delta, ReadOnlySpan<float> x, Span<float> gw, Span<float> gb, int rows, int inputs, int outputs, int unitStart, int unitEnd)
    {
        int j = unitStart;
        for (; j + 4 <= unitEnd; j += 4)
        {
            int k = 0;
            if (Wide)
            {
                for (; k + 64 <= inputs; k += 64)
                {
                    GradientTile4x64Wide(delta, x, gw, rows, inputs, outputs, j, k);
                }
            }

            for (; k + 32 <= inputs; k += 32)
            {
                GradientTile4x32(delta, x, gw, rows, inputs, outputs, j, k);
            }

            for (int u = j; u < j + 4; u++)
            {
                GradientTail(delta, x, gw, rows, inputs, outputs, u, k);
            }
        }

        for (; j < unitEnd; j++)
        {
            GradientTail(delta, x, gw, rows, inputs, outputs, j, 0);
        }

        for (j = unitStart; j < unitEnd; j++)
        {
            float sum = 0;
            for (int r = 0; r < rows; r++)
            {
                sum += delta[(r * outputs) + j];
            }

            gb[j] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> z, int inputs, int outputs, int b, int j)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(w);
        nuint x0 = (nuint)(b * inputs), x1 = x0 + (nuint)inputs, x2 = x1 + (nuint)inputs, x3 = x2 + (nuint)inputs;
        nuint w0 = (nuint)(j * inputs), w1 = w0 + (nuint)inputs, w2 = w1 + (nuint)inputs, w3 = w2 + (nuint)inputs;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int k = 0;
        for (; k + 8 <= inputs; k += 8)
        {
            nuint o = (nuint)k;
            Vector256<float> v0 = Vector256.LoadUnsafe(ref wr, w0 + o);
            Vector256<float> v1 = Vector256.LoadUnsafe(ref wr, w1 + o);
            Vector256<float> v2 = Vector256.LoadUnsafe(ref wr, w2 + o);
            Vector256<float> v3 = Vector256.LoadUnsafe(ref wr, w3 + o);
            Vector256<float> u = Vector256.LoadUnsafe(ref xr, x0 + o);
            a00 = Vector256.MultiplyAddEstimate(u, v0, a00);
            a01 = Vector256.MultiplyAddEstimate(u, v1, a01);
            a02 = Vector256.MultiplyAddEstimate(u, v2, a02);
            a03 = Vector256.MultiplyAddEstimate(u, v3, a03);
            u = Vector256.LoadUnsafe(ref xr, x1 + o);
            a10 = Vector256.MultiplyAddEstimate(u, v0, a10);
            a11 = Vector256.MultiplyAddEstimate(u, v1, a11);
            a12 = Vector256.MultiplyAddEstimate(u, v2, a12);
            a13 = Vector256.MultiplyAddEstimate(u, v3, a13);
            u = Vector256.LoadUnsafe(ref xr, x2 + o);
            a20 = Vector256.MultiplyAddEstimate(u, v0, a20);
            a21 = Vector256.MultiplyAddEstimate(u, v1, a21);
            a22 = Vector256.MultiplyAddEstimate(u, v2, a22);
            a23 = Vector256.MultiplyAddEstimate(u, v3, a23);
            u = Vector256.LoadUnsafe(ref xr, x3 + o);
            a30 = Vector256.MultiplyAddEstimate(u, v0, a30);
            a31 = Vector256.MultiplyAddEstimate(u, v1, a31);
            a32 = Vector256.MultiplyAddEstimate(u, v2, a32);
            a33 = Vector256.MultiplyAddEstimate(u, v3, a33);
        }

        Span<float> tile = stackalloc float[16];
        tile[0] = Vector256.Sum(a00); tile[1] = Vector256.Sum(a01); tile[2] = Vector256.Sum(a02); tile[3] = Vector256.Sum(a03);
        tile[4] = Vector256.Sum(a10); tile[5] = Vector256.Sum(a11); tile[6] = Vector256.Sum(a12); tile[7] = Vector256.Sum(a13);
        tile[8] = Vector256.Sum(a20); tile[9] = Vector256.Sum(a21); tile[10] = Vector256.Sum(a22); tile[11] = Vector256.Sum(a23);
        tile[12] = Vector256.Sum(a30); tile[13] = Vector256.Sum(a31); tile[14] = Vector256.Sum(a32); tile[15] = Vector256.Sum(a33);
        for (; k < inputs; k++)
        {
            for (int r = 0; r < 4; r++)
            {
                float xv = x[((b + r) * inputs) + k];
                for (int c = 0; c < 4; c++)
                {
                    tile[(r * 4) + c] += xv * w[((j + c) * inputs) + k];
                }
            }
        }

        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                z[((b + r) * outputs) + j + c] = bias[j + c] + tile[(r * 4) + c];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientTile4x32(ReadOnlySpan<float> delta, ReadOnlySpan<float> x, Span<float> gw, int rows, int inputs, int outputs, int j, int k)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int r = 0; r < rows; r++)
        {
            nuint o = (nuint)((r * inputs) + k);
            Vector256<float> x0 = Vector256.LoadUnsafe(ref xr, o);
            Vector256<float> x1 = Vector256.LoadUnsafe(ref xr, o + 8);
            Vector256<float> x2 = Vector256.LoadUnsafe(ref xr, o + 16);
            Vector256<float> x3 = Vector256.LoadUnsafe(ref xr, o + 24);
            int d = (r * outputs) + j;
            var d0 = Vector256.Create(delta[d]);
            a00 = Vector256.MultiplyAddEstimate(d0, x0, a00);
            a01 = Vector256.MultiplyAddEstimate(d0, x1, a01);
            a02 = Vector256.MultiplyAddEstimate(d0, x2, a02);
            a03 = Vector256.MultiplyAddEstimate(d0, x3, a03);
            var d1 = Vector256.Create(delta[d + 1]);
            a10 = Vector256.MultiplyAddEstimate(d1, x0, a10);
            a11 = Vector256.MultiplyAddEstimate(d1, x1, a11);
            a12 = Vector256.MultiplyAddEstimate(d1, x2, a12);
            a13 = Vector256.MultiplyAddEstimate(d1, x3, a13);
            var d2 = Vector256.Create(delta[d + 2]);
            a20 = Vector256.MultiplyAddEstimate(d2, x0, a20);
            a21 = Vector256.MultiplyAddEstimate(d2, x1, a21);
            a22 = Vector256.MultiplyAddEstimate(d2, x2, a22);
            a23 = Vector256.MultiplyAddEstimate(d2, x3, a23);
            var d3 = Vector256.Create(delta[d + 3]);
            a30 = Vector256.MultiplyAddEstimate(d3, x0, a30);
            a31 = Vector256.MultiplyAddEstimate(d3, x1, a31);
            a32 = Vector256.MultiplyAddEstimate(d3, x2, a32);
            a33 = Vector256.MultiplyAddEstimate(d3, x3, a33);
        }

        ref float gr = ref MemoryMarshal.GetReference(gw);
        nuint g = (nuint)((j * inputs) + k);
        nuint stride = (nuint)inputs;
        a00.StoreUnsafe(ref gr, g); a01.StoreUnsafe(ref gr, g + 8); a02.StoreUnsafe(ref gr, g + 16); a03.StoreUnsafe(ref gr, g + 24);
        g += stride;
        a10.StoreUnsafe(ref gr, g); a11.StoreUnsafe(ref gr, g + 8); a12.StoreUnsafe(ref gr, g + 16); a13.StoreUnsafe(ref gr, g + 24);
        g += stride;
        a20.StoreUnsafe(ref gr, g); a21.StoreUnsafe(ref gr, g + 8); a22.StoreUnsafe(ref gr, g + 16); a23.StoreUnsafe(ref gr, g + 24);
        g += stride;
        a30.StoreUnsafe(ref gr, g); a31.StoreUnsafe(ref gr, g + 8); a32.StoreUnsafe(ref gr, g + 16); a33.StoreUnsafe(ref gr, g + 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4Wide(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> z, int inputs, int outputs, int b, int j)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(w);
        nuint x0 = (nuint)(b * inputs), x1 = x0 + (nuint)inputs, x2 = x1 + (nuint)inputs, x3 = x2 + (nuint)inputs;
        nuint w0 = (nuint)(j * inputs), w1 = w0 + (nuint)inputs, w2 = w1 + (nuint)inputs, w3 = w2 + (nuint)inputs;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int k = 0;
        for (; k + 16 <= inputs; k += 16)
        {
            nuint o = (nuint)k;
            Vector512<float> v0 = Vector512.LoadUnsafe(ref wr, w0 + o);
            Vector512<float> v1 = Vector512.LoadUnsafe(ref wr, w1 + o);
            Vector512<float> v2 = Vector512.LoadUnsafe(ref wr, w2 + o);
            Vector512<float> v3 = Vector512.LoadUnsafe(ref wr, w3 + o);
            Vector512<float> u = Vector512.LoadUnsafe(ref xr, x0 + o);
            a00 = Vector512.MultiplyAddEstimate(u, v0, a00);
            a01 = Vector512.MultiplyAddEstimate(u, v1, a01);
            a02 = Vector512.MultiplyAddEstimate(u, v2, a02);
            a03 = Vector512.MultiplyAddEstimate(u, v3, a03);
            u = Vector512.LoadUnsafe(ref xr, x1 + o);
            a10 = Vector512.MultiplyAddEstimate(u, v0, a10);
            a11 = Vector512.MultiplyAddEstimate(u, v1, a11);
            a12 = Vector512.MultiplyAddEstimate(u, v2, a12);
            a13 = Vector512.MultiplyAddEstimate(u, v3, a13);
            u = Vector512.LoadUnsafe(ref xr, x2 + o);
            a20 = Vector512.MultiplyAddEstimate(u, v0, a20);
            a21 = Vector512.MultiplyAddEstimate(u, v1, a21);
            a22 = Vector512.MultiplyAddEstimate(u, v2, a22);
            a23 = Vector512.MultiplyAddEstimate(u, v3, a23);
            u = Vector512.LoadUnsafe(ref xr, x3 + o);
            a30 = Vector512.MultiplyAddEstimate(u, v0, a30);
            a31 = Vector512.MultiplyAddEstimate(u, v1, a31);
            a32 = Vector512.MultiplyAddEstimate(u, v2, a32);
            a33 = Vector512.MultiplyAddEstimate(u, v3, a33);
        }

        Span<float> tile = stackalloc float[16];
        tile[0] = Vector512.Sum(a00); tile[1] = Vector512.Sum(a01); tile[2] = Vector512.Sum(a02); tile[3] = Vector512.Sum(a03);
        tile[4] = Vector512.Sum(a10); tile[5] = Vector512.Sum(a11); tile[6] = Vector512.Sum(a12); tile[7] = Vector512.Sum(a13);
        tile[8] = Vector512.Sum(a20); tile[9] = Vector512.Sum(a21); tile[10] = Vector512.Sum(a22); tile[11] = Vector512.Sum(a23);
        tile[12] = Vector512.Sum(a30); tile[13] = Vector512.Sum(a31); tile[14] = Vector512.Sum(a32); tile[15] = Vector512.Sum(a33);
        for (; k < inputs; k++)
        {
            for (int r = 0; r < 4; r++)
            {
                float xv = x[((b + r) * inputs) + k];
                for (int c = 0; c < 4; c++)
                {
                    tile[(r * 4) + c] += xv * w[((j + c) * inputs) + k];
                }
            }
        }

        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                z[((b + r) * outputs) + j + c] = bias[j + c] + tile[(r * 4) + c];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientTile4x64Wide(ReadOnlySpan<float> delta, ReadOnlySpan<float> x, Span<float> gw, int rows, int inputs, int outputs, int j, int k)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int r = 0; r < rows; r++)
        {
            nuint o = (nuint)((r * inputs) + k);
            Vector512<float> x0 = Vector512.LoadUnsafe(ref xr, o);
            Vector512<float> x1 = Vector512.LoadUnsafe(ref xr, o + 16);
            Vector512<float> x2 = Vector512.LoadUnsafe(ref xr, o + 32);
            Vector512<float> x3 = Vector512.LoadUnsafe(ref xr, o + 48);
            int d = (r * outputs) + j;
            var d0 = Vector512.Create(delta[d]);
            a00 = Vector512.MultiplyAddEstimate(d0, x0, a00);
            a01 = Vector512.MultiplyAddEstimate(d0, x1, a01);
            a02 = Vector512.MultiplyAddEstimate(d0, x2, a02);
            a03 = Vector512.MultiplyAddEstimate(d0, x3, a03);
            var d1 = Vector512.Create(delta[d + 1]);
            a10 = Vector512.MultiplyAddEstimate(d1, x0, a10);
            a11 = Vector512.MultiplyAddEstimate(d1, x1, a11);
            a12 = Vector512.MultiplyAddEstimate(d1, x2, a12);
            a13 = Vector512.MultiplyAddEstimate(d1, x3, a13);
            var d2 = Vector512.Create(delta[d + 2]);
            a20 = Vector512.MultiplyAddEstimate(d2, x0, a20);
            a21 = Vector512.MultiplyAddEstimate(d2, x1, a21);
            a22 = Vector512.MultiplyAddEstimate(d2, x2, a22);
            a23 = Vector512.MultiplyAddEstimate(d2, x3, a23);
            var d3 = Vector512.Create(delta[d + 3]);
            a30 = Vector512.MultiplyAddEstimate(d3, x0, a30);
            a31 = Vector512.MultiplyAddEstimate(d3, x1, a31);
            a32 = Vector512.MultiplyAddEstimate(d3, x2, a32);
            a33 = Vector512.MultiplyAddEstimate(d3, x3, a33);
        }

        ref float gr = ref MemoryMarshal.GetReference(gw);
        nuint g = (nuint)((j * inputs) + k);
        nuint stride = (nuint)inputs;
        a00.StoreUnsafe(ref gr, g); a01.StoreUnsafe(ref gr, g + 16); a02.StoreUnsafe(ref gr, g + 32); a03.StoreUnsafe(ref gr, g + 48);
        g += stride;
        a10.StoreUnsafe(ref gr, g); a11.StoreUnsafe(ref gr, g + 16); a12.StoreUnsafe(ref gr, g + 32); a13.StoreUnsafe(ref gr, g + 48);
        g += stride;
        a20.StoreUnsafe(ref gr, g); a21.StoreUnsafe(ref gr, g + 16); a22.StoreUnsafe(ref gr, g + 32); a23.StoreUnsafe(ref gr, g + 48);
        g += stride;
        a30.StoreUnsafe(ref gr, g); a31.StoreUnsafe(ref gr, g + 16); a32.StoreUnsafe(ref gr, g + 32); a33.StoreUnsafe(ref gr, g + 48);
    }

    /// <summary>gw[j, k..] for one unit from column <paramref name="kStart"/> on, by axpy over rows.</summary>
    private static void GradientTail(ReadOnlySpan<float> delta, ReadOnlySpan<float> x, Span<float> gw, int rows, int inputs, int outputs, int j, int kStart)
    {
        int length = inputs - kStart;
        if (length == 0)
        {
            return;
        }

        Span<float> target = gw.Slice((j * inputs) + kStart, length);
        target.Clear();
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.MultiplyAdd(x.Slice((r * inputs) + kStart, length), delta[(r * outputs) + j], target, target);
        }
    }
}
