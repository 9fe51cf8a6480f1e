"""videos"""
