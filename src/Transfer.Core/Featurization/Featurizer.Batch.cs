using Transfer.Augmentation;
using Transfer.Images;

namespace Transfer.Featurization;

/// <content>A reusable batch of decoded pixels.</content>
public sealed partial class Featurizer
{
    private sealed class Batch
    {
        private readonly int _pixelsPerImage;
        private readonly bool[] _decoded;

        public Batch(int capacity, int pixelsPerImage, bool pinned)
        {
            _pixelsPerImage = pixelsPerImage;

            // For a GPU, the pixels live on the pinned object heap: never moved, so ONNX Runtime copies them to the device without a per-run pin.
            Pixels = pinned ? GC.AllocateUninitializedArray<float>(capacity * pixelsPerImage, pinned: true) : new float[capacity * pixelsPerImage];
            Skips = new SkippedImage?[capacity];
            Indices = new int[capacity];
            _decoded = new bool[capacity];
        }

        public float[] Pixels { get; }

        public SkippedImage?[] Skips { get; }

        public int[] Indices { get; }

        public int Count { get; private set; }

        public int DecodedCount { get; private set; }

        public void Fill(IReadOnlyList<ImageEntry> images, int[] indices, int start, int count, FeaturizerOptions options, BackboneSession session, Func<int, ContentHash>? hashOf, int threads, CancellationToken token)
        {
            Count = count;
            Array.Copy(indices, start, Indices, 0, count);
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = token };
            ParallelRunner.For(count, parallel, j =>
            {
                var entry = images[Indices[j]];
                Skips[j] = null;
                _decoded[j] = false;
                try
                {
                    if (options.View is { } view)
                    {
                        DecodeView(entry, Indices[j], j, view, options.Preprocessing, session, hashOf);
                    }
                    else
                    {
                        session.Decode(entry, options.Preprocessing, Pixels, j);
                    }

                    _decoded[j] = true;
                }
                catch (InvalidImageException e) when (options.BadImagePolicy == BadImagePolicy.Skip)
                {
                    Skips[j] = new SkippedImage(entry.Name, e.Reason);
                }
            });

            // Decoded images go first, contiguous, so one run covers them.
            int decoded = 0;
            for (int j = 0; j < count; j++)
            {
                if (_decoded[j])
                {
                    if (decoded != j)
                    {
                        Pixels.AsSpan(j * _pixelsPerImage, _pixelsPerImage).CopyTo(Pixels.AsSpan(decoded * _pixelsPerImage, _pixelsPerImage));
                    }

                    decoded++;
                }
            }

            DecodedCount = decoded;
        }

        /// <summary>
        /// Decodes one image into slot <paramref name="slot"/> and turns it into the view. A random view is seeded by the
        /// image's content hash: the one computed for the cache when there is one, else computed here from the bytes read once.
        /// </summary>
        private void DecodeView(ImageEntry entry, int index, int slot, AugmentationView view, ImagePreprocessing preprocessing, BackboneSession session, Func<int, ContentHash>? hashOf)
        {
            ContentHash content = default;
            if (view.IsRandom && hashOf is null)
            {
                var bytes = entry.ReadBytes();
                content = ContentHash.Compute(bytes.Span);
                session.Decode(bytes.Span, entry.Name, preprocessing, Pixels, slot);
            }
            else
            {
                if (view.IsRandom)
                {
                    content = hashOf!(index);
                }

                session.Decode(entry, preprocessing, Pixels, slot);
            }

            view.ApplyValidated(Pixels.AsSpan(slot * _pixelsPerImage, _pixelsPerImage), session.Width, session.Height, content);
        }
    }
}
