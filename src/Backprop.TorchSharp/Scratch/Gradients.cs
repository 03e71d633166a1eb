using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>
/// The lesson's <c>.g</c>: a gradient hung on any tensor, so that <c>inp.G = outG.matmul(w.t())</c> reads as the
/// lesson's <c>inp.g = out.g @ w.t()</c> (notebook 03_backprop, "Gradients and backward pass").
/// </summary>
/// <remarks>
/// <para>
/// Python lets the lesson set an attribute on a tensor; C# cannot add a field to <see cref="Tensor"/>, and its
/// <c>grad</c> belongs to autograd. So <c>G</c> is an extension property whose values live in a
/// <see cref="ConditionalWeakTable{TKey, TValue}"/> keyed by the tensor object: like a Python attribute it belongs to
/// that one object (another handle on the same storage, such as <c>t[.., 0]</c> or <c>t.alias()</c>, has its own),
/// and it is forgotten when the tensor object is collected.
/// </para>
/// <para>
/// The table holds the gradient, not its native memory: a gradient still belongs to the dispose scope it was made in,
/// and reading one whose scope has ended throws.
/// </para>
/// </remarks>
public static class Gradients
{
    private static readonly ConditionalWeakTable<Tensor, Tensor> Table = [];

    extension(Tensor t)
    {
        /// <summary>dL/dt, the same shape as the tensor: the lesson's <c>t.g</c>.</summary>
        /// <exception cref="InvalidOperationException">Read before a backward pass set it, or after its dispose scope ended; the message names the tensor's shape.</exception>
        /// <exception cref="ArgumentException">Set to a gradient whose shape differs from the tensor's; the message names both shapes.</exception>
        /// <exception cref="ObjectDisposedException">The tensor itself was disposed: like its data, its gradient is gone.</exception>
        public Tensor G
        {
            get
            {
                ObjectDisposedException.ThrowIf(t.IsInvalid, t);
                if (!Table.TryGetValue(t, out var g))
                    throw new InvalidOperationException(
                        $"this {Shapes.Format(t.shape)} tensor has no gradient yet: run the backward pass (of the layer it feeds, or of the model) first");
                if (g.IsInvalid)
                    throw new InvalidOperationException($"the gradient of this {Shapes.Format(t.shape)} tensor was disposed with its dispose scope");
                return g;
            }
            set
            {
                ArgumentNullException.ThrowIfNull(value);
                ObjectDisposedException.ThrowIf(t.IsInvalid, t);
                if (!value.shape.AsSpan().SequenceEqual(t.shape))
                    throw new ArgumentException(
                        $"a gradient of shape {Shapes.Format(value.shape)} does not fit a tensor of shape {Shapes.Format(t.shape)}", nameof(value));
                Table.AddOrUpdate(t, value);
            }
        }

        /// <summary>Whether <c>G</c> has been set (and its dispose scope has not ended).</summary>
        public bool HasG => !t.IsInvalid && Table.TryGetValue(t, out var g) && !g.IsInvalid;
    }
}
