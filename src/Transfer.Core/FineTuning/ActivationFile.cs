using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Transfer.FineTuning;

/// <summary>
/// The activations entering the tuned blocks for one fine-tuning run: fixed-length rows of half-precision floats in one
/// temporary file, written once and read back a batch at a time in any order, so memory stays bounded by the batch
/// whatever the number of images (ResNet18's layer3 output is 100 KB an image in fp16). Deleted on dispose.
/// </summary>
/// <remarks>
/// This is the run's working copy; rows are kept across runs by content in the bottleneck cache (an
/// <see cref="Featurization.IFeatureStore"/>), from which a rerun fills this file without running the trunk.
/// Half precision keeps about three significant digits, far below the noise of a training step.
/// </remarks>
internal sealed class ActivationFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly int _rowBytes;
    private readonly object _gate = new();
    private readonly Half[] _halves;

    /// <param name="directory">Where to create the file.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="rowLength">Floats per row.</param>
    public ActivationFile(string directory, int rows, int rowLength)
    {
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, $"transfer-activations-{Environment.ProcessId}-{Guid.NewGuid():N}.f16");
        Rows = rows;
        RowLength = rowLength;
        _rowBytes = rowLength * sizeof(ushort);
        _halves = new Half[rowLength];
        _handle = File.OpenHandle(Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose | FileOptions.RandomAccess, preallocationSize: (long)rows * _rowBytes);
    }

    public string Path { get; }

    public int Rows { get; }

    public int RowLength { get; }

    /// <summary>Stores row <paramref name="row"/> (thread-safe).</summary>
    public void Write(int row, ReadOnlySpan<float> values)
    {
        if (values.Length != RowLength)
        {
            throw new ArgumentException($"A row holds {RowLength} floats, got {values.Length}.", nameof(values));
        }

        lock (_gate)
        {
            TensorPrimitives.ConvertToHalf(values, _halves);
            RandomAccess.Write(_handle, MemoryMarshal.AsBytes(_halves.AsSpan()), Offset(row));
        }
    }

    /// <summary>Reads <paramref name="rows"/> into consecutive rows of <paramref name="destination"/>.</summary>
    /// <param name="rows">Row indices, any order.</param>
    /// <param name="destination">At least rows × <see cref="RowLength"/> floats.</param>
    /// <param name="scratch">A buffer of at least rows × <see cref="RowLength"/> halves, reused across calls.</param>
    public void Read(ReadOnlySpan<int> rows, Span<float> destination, Half[] scratch)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            var halves = scratch.AsSpan(i * RowLength, RowLength);
            int read = RandomAccess.Read(_handle, MemoryMarshal.AsBytes(halves), Offset(rows[i]));
            if (read != _rowBytes)
            {
                throw new IOException($"Activation file \"{Path}\": row {rows[i]} is short ({read} of {_rowBytes} bytes).");
            }
        }

        TensorPrimitives.ConvertToSingle(scratch.AsSpan(0, rows.Length * RowLength), destination[..(rows.Length * RowLength)]);
    }

    public void Dispose() => _handle.Dispose();

    private long Offset(int row)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Rows are 0 to {Rows - 1}.");
        }

        return (long)row * _rowBytes;
    }
}
