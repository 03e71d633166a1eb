using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>Shape checks that name both shapes, so a mismatch reads like the lesson's printouts.</summary>
internal static class Shapes
{
    /// <summary>A shape as the lesson prints it: <c>(50000, 784)</c>.</summary>
    public static string Format(ReadOnlySpan<long> shape) => $"({string.Join(", ", shape.ToArray())})";

    /// <summary>Checks that <c>x @ w + b</c> fits: x (N, in), w (in, out), b (out).</summary>
    /// <exception cref="ArgumentException">The shapes do not fit; the message names them.</exception>
    public static void CheckLin(Tensor x, Tensor w, Tensor b, string layer = "Lin")
    {
        if (w.dim() != 2)
            throw new ArgumentException($"{layer}: weights must be (in, out), got {Format(w.shape)}", nameof(w));
        if (x.dim() != 2 || x.shape[1] != w.shape[0])
            throw new ArgumentException(
                $"{layer}: an input of shape {Format(x.shape)} does not fit weights of shape {Format(w.shape)}: " +
                $"the input must be (N, {w.shape[0]})", nameof(x));
        if (b.dim() != 1 || b.shape[0] != w.shape[1])
            throw new ArgumentException(
                $"{layer}: a bias of shape {Format(b.shape)} does not fit weights of shape {Format(w.shape)}: the bias must be ({w.shape[1]})", nameof(b));
    }

    /// <summary>The lesson's MSE pitfall: an (N, 1) column or an (N) vector, as (N), so that it never broadcasts to (N, N).</summary>
    public static Tensor Column(Tensor t) => t.dim() == 2 && t.shape[1] == 1 ? t.select(1, 0) : t;

    /// <summary>Checks an MSE pair: output (N, 1) or (N), target (N) or (N, 1).</summary>
    /// <exception cref="ArgumentException">The shapes do not pair up; the message names them.</exception>
    public static void CheckMse(Tensor output, Tensor targ)
    {
        var (o, t) = (Column(output), Column(targ));
        if (o.dim() != 1 || t.dim() != 1 || o.shape[0] != t.shape[0])
            throw new ArgumentException(
                $"Mse: an output of shape {Format(output.shape)} does not pair with a target of shape {Format(targ.shape)}: " +
                "give an (N, 1) or (N) output and an (N) target", nameof(targ));
    }

    /// <summary>Checks a classification pair: inp (N, C) floating point, targ (N) int64 class indices.</summary>
    /// <exception cref="ArgumentException">The shapes or the target's type do not fit; the message names them.</exception>
    public static void CheckClasses(Tensor inp, Tensor targ, string loss)
    {
        if (inp.dim() != 2 || targ.dim() != 1 || inp.shape[0] != targ.shape[0])
            throw new ArgumentException(
                $"{loss}: an input of shape {Format(inp.shape)} does not pair with a target of shape {Format(targ.shape)}: " +
                "give (N, C) scores and (N) class indices", nameof(targ));
        if (targ.dtype != ScalarType.Int64)
            throw new ArgumentException($"{loss}: targets must be int64 class indices, got {targ.dtype}", nameof(targ));
    }
}

/// <summary>The error every layer of the class and <c>Module</c> forms gives for a backward before its forward.</summary>
internal static class Errors
{
    public static InvalidOperationException BackwardBeforeCall(string layer) =>
        new($"{layer}.Backward before {layer}.Call: run the forward pass first");
}
