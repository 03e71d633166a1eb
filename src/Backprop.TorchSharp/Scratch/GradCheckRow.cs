namespace Backprop.Scratch;

/// <summary>One line of <see cref="GradCheck"/>: one manual gradient of one component against a reference.</summary>
/// <param name="Component">
/// What was checked: <c>functions</c>, <c>classes</c>, <c>module</c> (lesson 03's three forms of the 784-50-1 MSE model),
/// <c>lin</c>, <c>relu</c>, <c>mse</c>, <c>log_softmax_naive</c>, <c>log_softmax</c>, <c>nll</c>, <c>cross_entropy</c>,
/// or <c>ce_model</c> (the <see cref="ManualClassifier"/>).
/// </param>
/// <param name="Tensor">Which gradient: <c>x</c>, <c>w1</c>, <c>b1</c>, <c>w2</c>, <c>b2</c>, <c>w</c>, <c>b</c> or <c>inp</c>.</param>
/// <param name="Shape">The gradient's shape.</param>
/// <param name="Reference">What the manual gradient was compared with: <c>autograd</c> or <c>finite_differences</c>.</param>
/// <param name="Dtype">The precision of the check: <c>float32</c> (MNIST, as the lesson) or <c>float64</c> (small random shapes).</param>
/// <param name="MaxAbsDiff">max |manual - reference| over all elements (+∞ when the shapes differ).</param>
/// <param name="MaxAbsReference">max |reference|, the scale the difference is measured against.</param>
/// <param name="Tolerance">
/// The largest <paramref name="MaxAbsDiff"/> that passes: the check's absolute tolerance (0.01 against autograd, the lesson's;
/// 1e-6 against finite differences), capped at 0.1% of <paramref name="MaxAbsReference"/> so that a small gradient cannot pass by being small.
/// </param>
public sealed record GradCheckRow(
    string Component, string Tensor, IReadOnlyList<long> Shape, string Reference, string Dtype,
    double MaxAbsDiff, double MaxAbsReference, double Tolerance)
{
    /// <summary>Whether <see cref="MaxAbsDiff"/> is within <see cref="Tolerance"/> (NaN fails).</summary>
    public bool Pass => MaxAbsDiff <= Tolerance;
}
